package dev.manifold.broker.gateway;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.manifold.broker.credentials.CredentialSource;
import dev.manifold.contracts.ConfigValidationException;
import dev.manifold.contracts.CredentialRef;
import dev.manifold.contracts.GatewayConfig;
import dev.manifold.contracts.GatewayConfigCodec;
import dev.manifold.contracts.PrefixMode;
import dev.manifold.contracts.ServerEntry;
import dev.manifold.contracts.TokenExchange;
import dev.manifold.contracts.ToolFilter;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The standalone YAML file, read strictly: unknown fields, duplicate names and invalid values are rejected with
 * the field path, line and column. The broker only ever reads this file.
 *
 * <pre>
 * prefixMode: always        # always | never | conditional
 * servers:
 *   - name: weather
 *     url: http://127.0.0.1:3001/mcp
 *     toolPrefix: weather_
 *     enabled: true
 *     toolFilter: { include: ["get_*"], exclude: ["get_secret"] }
 *     credential: { env: WEATHER_TOKEN }   # or { file: /run/secrets/weather }; header: X-Api-Key (optional)
 *     authPassthrough: true              # or tokenExchange: { tokenEndpoint: https://…, audience: …, scopes: [...] }
 * </pre>
 */
public final class StandaloneConfigFile {

    private static final YAMLMapper YAML = YAMLMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();

    private StandaloneConfigFile() {
    }

    /** Parses the file's bytes into a canonical config; throws {@link ConfigValidationException} on bad input. */
    public static GatewayConfig parse(byte[] yaml) {
        return read(yaml).config();
    }

    /**
     * The file as the broker applies it: the canonical config, and each server's {@code credential} source by server
     * id. Sources name a variable or a file, never a value, and stay out of the config (and so out of its hash).
     */
    public record Parsed(GatewayConfig config, Map<String, CredentialSource> credentials) {
    }

    /** Parses the file's bytes; throws {@link ConfigValidationException} on bad input. */
    public static Parsed read(byte[] yaml) {
        if (holdsNoDocument(yaml)) {
            throw new ConfigValidationException("servers", "missing: the file holds no document (empty, blank or"
                    + " only comments)" + NO_SERVERS_HINT + " (line 1)");
        }
        Document doc = GatewayConfigCodec.read(YAML, yaml, Document.class);
        // A file cut short (written in place, read half-way) may end before its server list: that must not remove
        // every backend. Only an explicit empty list does.
        if (doc.servers == null) {
            throw new ConfigValidationException("servers", "missing" + NO_SERVERS_HINT);
        }
        List<ServerEntry> entries = new ArrayList<>();
        Map<String, CredentialSource> credentials = new HashMap<>();
        for (int i = 0; i < doc.servers.size(); i++) {
            if (doc.servers.get(i) == null) {
                throw new ConfigValidationException("servers[" + i + "]", "an entry must not be empty");
            }
            ServerEntry entry = doc.servers.get(i).entry(i);
            entries.add(entry);
            if (doc.servers.get(i).credential != null) {
                credentials.put(entry.id(), doc.servers.get(i).credential.source());
            }
        }
        rejectSharedNamesAndPrefixes(yaml, doc.prefixMode == null ? PrefixMode.ALWAYS : doc.prefixMode, entries);
        return new Parsed(GatewayConfigCodec.build(doc.prefixMode, entries), Map.copyOf(credentials));
    }

    /**
     * Two entries with one name, or (unless {@code prefixMode: never}, where prefixes are not used) one non-empty
     * {@code toolPrefix}, are rejected naming both entries and both lines, as the controller refuses a prefix
     * conflict: silently dropping the colliding tools would leave the user guessing.
     */
    private static void rejectSharedNamesAndPrefixes(byte[] yaml, PrefixMode mode, List<ServerEntry> entries) {
        Map<String, Integer> names = new HashMap<>();
        Map<String, Integer> prefixes = new HashMap<>();
        int[][] lines = null;
        for (int i = 0; i < entries.size(); i++) {
            ServerEntry entry = entries.get(i);
            Integer first = names.putIfAbsent(entry.id(), i);
            if (first != null) {
                lines = lines == null ? entryLines(yaml) : lines;
                throw new ConfigValidationException("servers[" + i + "].name", "duplicate name '" + entry.id()
                        + "': servers[" + first + "]" + line(lines, first, 0) + " and servers[" + i + "]"
                        + line(lines, i, 0) + " both use it; names must be unique");
            }
            String prefix = entry.toolPrefix();
            if (mode == PrefixMode.NEVER || prefix == null || prefix.isEmpty()) {
                continue;
            }
            first = prefixes.putIfAbsent(prefix, i);
            if (first != null) {
                lines = lines == null ? entryLines(yaml) : lines;
                throw new ConfigValidationException("servers[" + i + "].toolPrefix", "toolPrefix '" + prefix
                        + "' is already the prefix of server '" + entries.get(first).id() + "'" + line(lines, first, 1)
                        + "; server '" + entry.id() + "'" + line(lines, i, 1) + " must use another one");
            }
        }
    }

    private static String line(int[][] lines, int index, int which) {
        return index < lines.length && lines[index][which] > 0 ? " (line " + lines[index][which] + ")" : "";
    }

    /**
     * The line of each server entry's {@code name} and {@code toolPrefix} values, by index ({@code -1} when absent).
     * Only called on a file that already parsed, to name lines in cross-entry errors.
     */
    static int[][] entryLines(byte[] yaml) {
        List<int[]> out = new ArrayList<>();
        try (JsonParser p = YAML.createParser(yaml)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return new int[0][];
            }
            for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if (!"servers".equals(field) || value != JsonToken.START_ARRAY) {
                    p.skipChildren();
                    continue;
                }
                for (JsonToken e = p.nextToken(); e != null && e != JsonToken.END_ARRAY; e = p.nextToken()) {
                    int[] entry = {-1, -1};
                    if (e == JsonToken.START_OBJECT) {
                        for (JsonToken f = p.nextToken(); f == JsonToken.FIELD_NAME; f = p.nextToken()) {
                            String name = p.currentName();
                            p.nextToken();
                            int line = p.currentTokenLocation().getLineNr();
                            if ("name".equals(name)) {
                                entry[0] = line;
                            } else if ("toolPrefix".equals(name)) {
                                entry[1] = line;
                            }
                            p.skipChildren();
                        }
                    } else {
                        p.skipChildren();
                    }
                    out.add(entry);
                }
            }
        } catch (IOException e) {
            // the file parsed a moment ago; without lines the errors still name the entries
        }
        return out.toArray(int[][]::new);
    }

    private static boolean holdsNoDocument(byte[] yaml) {
        try (JsonParser parser = YAML.createParser(yaml)) {
            return parser.nextToken() == null;
        } catch (IOException e) {
            return false; // a syntax error: the full read reports it with its line
        }
    }

    private static final String NO_SERVERS_HINT = "; write 'servers: []' for a config with no servers";

    /** Top level of the file. */
    public static final class Document {
        @JsonProperty("prefixMode")
        PrefixMode prefixMode;
        List<Server> servers;

        /** {@code servers:} with nothing after it is rejected here, at its line; {@code servers: []} is a list. */
        @JsonProperty("servers")
        void setServers(List<Server> servers) {
            if (servers == null) {
                throw new ConfigValidationException("servers", "empty" + NO_SERVERS_HINT);
            }
            this.servers = servers;
        }
    }

    /**
     * One server entry as users write it ({@code name} is the server id). A plain bean whose setters validate
     * eagerly, so every error is reported at the line of the offending value (creator-based classes make
     * Jackson buffer properties and lose the position).
     */
    public static final class Server {
        private String name;
        private String url;
        private String toolPrefix;
        private Boolean enabled;
        private ToolFilter toolFilter;
        private CredentialRef credentialRef;
        private Credential credential;
        private String protocolHint;
        private Boolean authPassthrough;
        private TokenExchange tokenExchange;
        private ServerEntry entry;

        @JsonProperty("name")
        void setName(String name) {
            ServerEntry.checkId("name", name);
            this.name = name;
        }

        @JsonProperty("url")
        void setUrl(String url) {
            ServerEntry.checkUrl(url);
            this.url = url;
        }

        @JsonProperty("toolPrefix")
        void setToolPrefix(String toolPrefix) {
            ServerEntry.checkPrefix(toolPrefix);
            this.toolPrefix = toolPrefix;
        }

        @JsonProperty("enabled")
        void setEnabled(Boolean enabled) {
            this.enabled = enabled;
        }

        @JsonProperty("toolFilter")
        void setToolFilter(ToolFilter toolFilter) {
            this.toolFilter = toolFilter;
        }

        @JsonProperty("credentialRef")
        void setCredentialRef(CredentialRef credentialRef) {
            this.credentialRef = credentialRef;
        }

        @JsonProperty("credential")
        void setCredential(Credential credential) {
            if (credential == null) {
                throw new ConfigValidationException("credential", "must name env or file");
            }
            this.credential = credential;
        }

        @JsonProperty("protocolHint")
        void setProtocolHint(String protocolHint) {
            this.protocolHint = protocolHint;
        }

        @JsonProperty("authPassthrough")
        void setAuthPassthrough(Boolean authPassthrough) {
            this.authPassthrough = authPassthrough;
        }

        @JsonProperty("tokenExchange")
        void setTokenExchange(TokenExchange tokenExchange) {
            if (tokenExchange == null) {
                throw new ConfigValidationException("tokenExchange", "must name a tokenEndpoint");
            }
            this.tokenExchange = tokenExchange;
        }

        /** The validated entry; cross-field rules (name and url required) are checked here. */
        ServerEntry entry(int index) {
            if (entry == null) {
                try {
                    if (name == null) {
                        throw new ConfigValidationException("name", "must be set");
                    }
                    if (credential != null && credentialRef != null) {
                        throw new ConfigValidationException("credential", "and credentialRef are both set; a server has "
                                + "one credential (credentialRef names a Kubernetes Secret; standalone, use credential)");
                    }
                    if (credential != null) {
                        credential.source(); // env or file must be set
                    }
                    entry = new ServerEntry(name, toolPrefix, url, enabled, toolFilter, credentialRef, protocolHint, null,
                            authPassthrough, tokenExchange);
                } catch (ConfigValidationException e) {
                    throw new ConfigValidationException("servers[" + index + "]." + e.field(),
                            e.getMessage().substring(e.field().length() + 2) + (name == null ? "" : " (server '" + name + "')"));
                }
            }
            return entry;
        }
    }

    /**
     * A standalone server's credential: {@code env} (a variable of the broker's process) or {@code file} (read at
     * each connect, so a rotated file takes effect without a reload), and optionally the {@code header} to send it
     * in (default {@code Authorization: Bearer <value>}).
     */
    public static final class Credential {
        private String env;
        private String file;
        private String header;

        @JsonProperty("env")
        void setEnv(String env) {
            if (env == null || !env.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw new ConfigValidationException("credential.env", "'" + env + "' is not an environment variable name");
            }
            this.env = env;
        }

        @JsonProperty("file")
        void setFile(String file) {
            if (file == null || file.isBlank()) {
                throw new ConfigValidationException("credential.file", "must be a path");
            }
            this.file = file;
        }

        @JsonProperty("header")
        void setHeader(String header) {
            CredentialRef.checkHeader("credential.header", header);
            this.header = header;
        }

        CredentialSource source() {
            if ((env == null) == (file == null)) {
                throw new ConfigValidationException("credential", "must name exactly one of env and file");
            }
            return env != null ? new CredentialSource.EnvVar(env, header) : new CredentialSource.File(file, header);
        }
    }
}
