package dev.manifold.broker.catalog;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.manifold.contracts.CanonicalJson;
import dev.manifold.contracts.PrefixMode;
import dev.manifold.contracts.ServerEntry;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The aggregated tool set at one moment: immutable, sorted by exposed name, built deterministically from the
 * backends' listings. Names always match {@code [A-Za-z0-9_-]{1,64}}. When two tools would get the same name,
 * the one from the lexicographically smaller server id wins (then the smaller original name); the loser is
 * reported in {@link #dropped()}.
 */
public final class ToolCatalog {

    /** Names clients can rely on. */
    public static final Pattern VALID_NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    private static final int MAX_NAME = 64;

    /** Input to the catalog: one backend's config entry, its last-known tools, and whether they are served. */
    public record Source(ServerEntry entry, List<ObjectNode> tools, boolean serving) {
    }

    /** A tool left out, and why. */
    public record Dropped(String serverId, String originalName, String reason) {
    }

    /** Length of a route hash and of the fingerprint, in bytes (SHA-256). */
    static final int HASH_BYTES = 32;

    private final NavigableMap<String, ToolRoute> byName;
    private final List<Dropped> dropped;
    private final String fingerprint;

    private ToolCatalog(NavigableMap<String, ToolRoute> byName, List<Dropped> dropped, String fingerprint) {
        this.byName = Collections.unmodifiableNavigableMap(byName);
        this.dropped = List.copyOf(dropped);
        this.fingerprint = fingerprint;
    }

    /** A catalog whose routes, drops and fingerprint were kept up to date incrementally ({@link ToolIndex}). */
    static ToolCatalog of(NavigableMap<String, ToolRoute> byName, List<Dropped> dropped, String fingerprint) {
        return new ToolCatalog(byName, dropped, fingerprint);
    }

    public static ToolCatalog empty() {
        return new ToolCatalog(new TreeMap<>(), List.of(), hex(new byte[HASH_BYTES]));
    }

    /** SHA-256 of what a client sees of one route and where it goes: server id, original name, definition. */
    static byte[] routeHash(ToolRoute route) {
        String hash = CanonicalJson.hash(List.of(route.serverId(), route.originalName(), route.definition()));
        return HexFormat.of().parseHex(hash.substring("sha256:".length()));
    }

    /** Adds or removes (the same operation) one route hash to a fingerprint. */
    static void xor(byte[] fingerprint, byte[] routeHash) {
        for (int i = 0; i < HASH_BYTES; i++) {
            fingerprint[i] ^= routeHash[i];
        }
    }

    static String hex(byte[] fingerprint) {
        return HexFormat.of().formatHex(fingerprint);
    }

    /**
     * Builds the catalog. Conditional prefixing looks at the last-known tools of every enabled backend, served or
     * not, so a name does not change when another backend merely flaps; only serving backends' tools are exposed.
     */
    public static ToolCatalog build(PrefixMode mode, List<Source> sources) {
        List<Source> ordered = new ArrayList<>(sources);
        ordered.sort(Comparator.comparing(s -> s.entry().id()));

        Map<String, Integer> owners = new HashMap<>();
        if (mode == PrefixMode.CONDITIONAL) {
            for (Source source : ordered) {
                source.tools().stream()
                        .map(tool -> tool.path("name").asText())
                        .filter(name -> source.entry().effectiveFilter().allows(name))
                        .distinct()
                        .forEach(name -> owners.merge(name, 1, Integer::sum));
            }
        }

        TreeMap<String, ToolRoute> byName = new TreeMap<>();
        List<Dropped> dropped = new ArrayList<>();
        for (Source source : ordered) {
            if (!source.serving()) {
                continue;
            }
            ServerEntry entry = source.entry();
            for (ObjectNode tool : claimOrder(source)) {
                String original = tool.path("name").asText();
                String exposed = exposedName(mode, entry, original, owners.getOrDefault(original, 0) > 1);
                if (exposed == null) {
                    dropped.add(new Dropped(entry.id(), original, "invalid_name"));
                    continue;
                }
                ToolRoute winner = byName.get(exposed);
                if (winner != null) {
                    dropped.add(new Dropped(entry.id(), original, "collision with " + winner.serverId() + "/" + winner.originalName()));
                    continue;
                }
                byName.put(exposed, route(entry, tool, exposed));
            }
        }
        // The fingerprint is the XOR of the route hashes: a set's, independent of order, so it can be kept up to
        // date one route at a time. Exposed names are unique, so no two equal hashes cancel out.
        byte[] fingerprint = new byte[HASH_BYTES];
        byName.values().forEach(route -> xor(fingerprint, routeHash(route)));
        return new ToolCatalog(byName, dropped, hex(fingerprint));
    }

    /** A serving backend's tools in the order they claim names: those its filter allows, by original name. */
    static List<ObjectNode> claimOrder(Source source) {
        List<ObjectNode> tools = new ArrayList<>(source.tools().size());
        for (ObjectNode tool : source.tools()) {
            if (source.entry().effectiveFilter().allows(tool.path("name").asText())) {
                tools.add(tool);
            }
        }
        tools.sort(Comparator.comparing(tool -> tool.path("name").asText()));
        return tools;
    }

    /**
     * The name clients see for a tool: prefixed always, never, or (conditional) when another backend offers the same
     * name ({@code shared}); made valid by {@link #sanitize}. {@code null} when no valid name can be made.
     */
    static String exposedName(PrefixMode mode, ServerEntry entry, String original, boolean shared) {
        boolean prefixed = switch (mode) {
            case ALWAYS -> true;
            case NEVER -> false;
            case CONDITIONAL -> shared;
        };
        return sanitize(prefixed ? entry.toolPrefix() + original : original);
    }

    /** The route of a tool exposed as {@code exposed}: a copy of its definition with only the name replaced. */
    static ToolRoute route(ServerEntry entry, ObjectNode tool, String exposed) {
        ObjectNode definition = tool.deepCopy();
        definition.put("name", exposed);
        return new ToolRoute(exposed, entry.id(), tool.path("name").asText(), definition);
    }

    /**
     * Makes a name valid: characters outside {@code [A-Za-z0-9_-]} become {@code _}; a name longer than 64 is cut
     * to 55 characters plus {@code _} and 8 hex digits of its hash, so distinct long names stay distinct.
     * Returns {@code null} for an empty name.
     */
    static String sanitize(String name) {
        if (name == null || name.isEmpty()) {
            return null;
        }
        StringBuilder sb = new StringBuilder(name.length());
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
            sb.append(ok ? c : '_');
        }
        String clean = sb.toString();
        if (clean.length() <= MAX_NAME) {
            return clean;
        }
        String hash = CanonicalJson.sha256(name.getBytes(StandardCharsets.UTF_8)).substring("sha256:".length(), "sha256:".length() + 8);
        return clean.substring(0, MAX_NAME - 9) + "_" + hash;
    }

    public ToolRoute route(String exposedName) {
        return exposedName == null ? null : byName.get(exposedName);
    }

    public int size() {
        return byName.size();
    }

    /** Tools left out by the last build. */
    public List<Dropped> dropped() {
        return dropped;
    }

    /** Changes whenever the set of tools clients see, or where they route, changes. */
    public String fingerprint() {
        return fingerprint;
    }

    /** One page of at most {@code size} tools with names after {@code after} (exclusive; null = from the start). */
    public List<ToolRoute> page(String after, int size) {
        NavigableMap<String, ToolRoute> tail = after == null ? byName : byName.tailMap(after, false);
        List<ToolRoute> page = new ArrayList<>(Math.min(size, tail.size()));
        for (ToolRoute route : tail.values()) {
            if (page.size() == size) {
                break;
            }
            page.add(route);
        }
        return page;
    }

    /** Whether there are tools after {@code name}. */
    public boolean hasAfter(String name) {
        return byName.higherKey(name) != null;
    }
}
