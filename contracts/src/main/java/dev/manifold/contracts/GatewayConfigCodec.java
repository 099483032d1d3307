package dev.manifold.contracts;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds, reads and writes {@link GatewayConfig} canonically. The same servers in any order give
 * byte-identical output and the same {@code version}. Never returns a config with duplicate ids or an
 * unknown field: such input is a {@link ConfigValidationException} naming the field.
 */
public final class GatewayConfigCodec {

    private GatewayConfigCodec() {
    }

    /** Sorts the servers by id, rejects duplicates, and stamps the version; the generation is 0 (unknown). */
    public static GatewayConfig build(PrefixMode prefixMode, Collection<ServerEntry> servers) {
        List<ServerEntry> sorted = new ArrayList<>(servers);
        sorted.sort(Comparator.comparing(ServerEntry::id));
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < sorted.size(); i++) {
            if (!seen.add(sorted.get(i).id())) {
                throw new ConfigValidationException("servers", "duplicate server id '" + sorted.get(i).id() + "'");
            }
        }
        PrefixMode mode = prefixMode == null ? PrefixMode.ALWAYS : prefixMode;
        return new GatewayConfig(versionOf(mode, sorted), mode, sorted, 0);
    }

    /** The canonical bytes of the whole document, version included. */
    public static byte[] toJson(GatewayConfig config) {
        return CanonicalJson.bytes(config);
    }

    /** The version a config with this content has. */
    public static String versionOf(PrefixMode prefixMode, List<ServerEntry> sortedServers) {
        Map<String, Object> content = new LinkedHashMap<>();
        content.put("prefixMode", prefixMode);
        content.put("servers", sortedServers);
        return CanonicalJson.hash(content);
    }

    /** A hash of one server entry, so appliers can diff by id and leave unchanged servers alone. */
    public static String entryHash(ServerEntry entry) {
        return CanonicalJson.hash(entry);
    }

    /**
     * Reads a published document. Unknown fields, duplicate ids and invalid values are rejected; a
     * {@code version} that does not match the content is rejected too, because it means the writer and
     * reader disagree about canonical form.
     */
    public static GatewayConfig parse(byte[] json) {
        GatewayConfig raw = read(CanonicalJson.MAPPER, json, GatewayConfig.class);
        GatewayConfig config = build(raw.prefixMode(), raw.servers());
        if (raw.version() != null && !raw.version().equals(config.version())) {
            throw new ConfigValidationException("version", "document says " + raw.version()
                    + " but its content hashes to " + config.version());
        }
        return config.withGeneration(raw.generation());
    }

    /**
     * Reads any document with the given mapper, turning Jackson's errors into a
     * {@link ConfigValidationException} that names the field path and, when known, line and column.
     */
    public static <T> T read(ObjectMapper mapper, byte[] bytes, Class<T> type) {
        try {
            return mapper.readValue(bytes, type);
        } catch (JsonProcessingException e) {
            throw describe(e);
        } catch (IOException e) {
            throw new ConfigValidationException("", "cannot read document: " + e.getMessage(), e);
        }
    }

    /** A readable error for a Jackson failure: field path, line and column, and what was wrong. */
    public static ConfigValidationException describe(JsonProcessingException e) {
        String path = "";
        String problem;
        if (e instanceof JsonMappingException mapping) {
            path = path(mapping.getPath());
            ConfigValidationException inner = findCause(e);
            if (inner != null) {
                String field = inner.field() == null || inner.field().isEmpty() || path.equals(inner.field())
                        || path.endsWith("." + inner.field()) ? path
                        : path.isEmpty() ? inner.field() : path + "." + inner.field();
                String message = inner.getMessage();
                if (inner.field() != null && !inner.field().isEmpty()) {
                    message = message.substring(inner.field().length() + 2);
                }
                return new ConfigValidationException(field, message + at(e.getLocation()), e);
            }
            if (e instanceof UnrecognizedPropertyException unknown) {
                problem = "unknown field '" + unknown.getPropertyName() + "'";
            } else if (e instanceof InvalidFormatException format) {
                problem = "invalid value '" + format.getValue() + "'";
                if (format.getCause() != null && format.getCause().getMessage() != null) {
                    problem += " (" + format.getCause().getMessage() + ")";
                }
            } else if (e instanceof MismatchedInputException mismatch && mismatch.getTargetType() != null) {
                problem = "expected " + describeType(mismatch.getTargetType());
            } else {
                problem = oneLine(e.getOriginalMessage());
            }
        } else {
            problem = "malformed document: " + oneLine(e.getOriginalMessage());
        }
        return new ConfigValidationException(path, problem + at(location(e)), e);
    }

    /**
     * A parser's message on one line: YAML parsers add the offending snippet, a caret and "in 'reader', line …"
     * on indented lines below the problem; those are dropped (the line and column are appended from the location).
     */
    static String oneLine(String message) {
        if (message == null) {
            return "";
        }
        return String.join(", ", message.lines()
                .filter(l -> !l.isBlank() && !Character.isWhitespace(l.charAt(0)))
                .map(String::strip)
                .toList());
    }

    /** For an unknown field, where the field name starts; otherwise where the parser stopped. */
    private static JsonLocation location(JsonProcessingException e) {
        if (e instanceof UnrecognizedPropertyException && e.getProcessor() instanceof com.fasterxml.jackson.core.JsonParser parser) {
            JsonLocation token = parser.currentTokenLocation();
            if (token != null && token.getLineNr() > 0) {
                return token;
            }
        }
        return e.getLocation();
    }

    private static String describeType(Class<?> type) {
        if (Collection.class.isAssignableFrom(type)) {
            return "a list";
        }
        if (type.isPrimitive() || Number.class.isAssignableFrom(type) || type == Boolean.class) {
            return "a " + type.getSimpleName().toLowerCase();
        }
        if (type == String.class) {
            return "a string";
        }
        return "an object";
    }

    private static String at(JsonLocation location) {
        if (location == null || location.getLineNr() < 1) {
            return "";
        }
        return " (line " + location.getLineNr() + ", column " + location.getColumnNr() + ")";
    }

    private static ConfigValidationException findCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConfigValidationException cve) {
                return cve;
            }
            if (t instanceof IllegalArgumentException iae && t.getCause() == null && t != e) {
                return new ConfigValidationException("", iae.getMessage());
            }
        }
        return null;
    }

    private static String path(List<JsonMappingException.Reference> refs) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference ref : refs) {
            if (ref.getFieldName() != null) {
                if (!sb.isEmpty()) {
                    sb.append('.');
                }
                sb.append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                sb.append('[').append(ref.getIndex()).append(']');
            }
        }
        return sb.toString();
    }
}
