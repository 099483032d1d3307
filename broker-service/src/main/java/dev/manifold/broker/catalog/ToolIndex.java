package dev.manifold.broker.catalog;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.manifold.contracts.PrefixMode;
import dev.manifold.contracts.ServerEntry;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Keeps the aggregated tool set current one backend at a time. A backend's contribution (its filtered, prefixed,
 * sanitized tools, each with its own copy of the definition and its hash) is recomputed only when that backend's
 * entry, tool listing or serving state changes, or, in conditional mode, when one of its names starts or stops
 * being shared; the owner of an exposed name is re-decided only for the names such a change touches. So a change
 * costs in proportion to the tools of the backends it concerns, plus one copy of the name-to-route map when the
 * result differs, instead of a rebuild over every tool. The result equals {@link ToolCatalog#build} over the same
 * sources (a property test holds it to that). Not thread-safe: the {@link Aggregator} calls it under its lock.
 */
final class ToolIndex {

    /** One tool of one backend as it would be exposed; {@code order} is its rank within the backend. */
    private record Candidate(String serverId, int order, ToolRoute route, byte[] hash) {
    }

    private static final Comparator<Candidate> PRECEDENCE =
            Comparator.comparing(Candidate::serverId).thenComparingInt(Candidate::order);

    /** What one backend contributes, with the inputs it was computed from. */
    private record Contribution(ServerEntry entry, List<ObjectNode> tools, boolean serving, Set<String> names,
                                List<Candidate> candidates, List<ToolCatalog.Dropped> invalid) {
    }

    private PrefixMode mode;
    private final Map<String, Contribution> servers = new HashMap<>();
    /** Conditional mode: original tool name to the servers that offer it (served or not), for prefixing. */
    private final Map<String, Set<String>> holders = new HashMap<>();
    /** Exposed name to every candidate for it, in precedence order (smaller server id, then rank). */
    private final Map<String, List<Candidate>> claims = new HashMap<>();
    private final Map<String, Candidate> winners = new HashMap<>();
    /** The winners' routes, sorted: copied (linear, no comparisons) into each new snapshot. */
    private final TreeMap<String, ToolRoute> routes = new TreeMap<>();
    /** Exposed names with more than one candidate: where the dropped tools are. */
    private final Set<String> contested = new HashSet<>();
    private final byte[] fingerprint = new byte[ToolCatalog.HASH_BYTES];
    private ToolCatalog snapshot = ToolCatalog.empty();

    /** Brings the index to {@code sources} (every enabled backend) and returns the catalog clients see. */
    ToolCatalog update(PrefixMode nextMode, List<ToolCatalog.Source> sources) {
        if (nextMode != mode) {
            servers.clear();
            holders.clear();
            claims.clear();
            winners.clear();
            routes.clear();
            contested.clear();
            java.util.Arrays.fill(fingerprint, (byte) 0);
            mode = nextMode;
        }
        Map<String, ToolCatalog.Source> next = new HashMap<>();
        sources.forEach(s -> next.put(s.entry().id(), s));

        Set<String> changed = new LinkedHashSet<>();
        servers.keySet().stream().filter(id -> !next.containsKey(id)).forEach(changed::add);
        for (ToolCatalog.Source source : sources) {
            Contribution had = servers.get(source.entry().id());
            if (had == null || had.tools() != source.tools() || had.serving() != source.serving()
                    || !had.entry().equals(source.entry())) {
                changed.add(source.entry().id());
            }
        }
        if (changed.isEmpty()) {
            return snapshot;
        }

        Set<String> recompute = new LinkedHashSet<>(changed);
        if (mode == PrefixMode.CONDITIONAL) {
            recompute.addAll(reshare(changed, next));
        }
        Set<String> touched = new HashSet<>();
        for (String id : recompute) {
            Contribution old = servers.remove(id);
            if (old != null) {
                for (Candidate c : old.candidates()) {
                    claims.computeIfPresent(c.route().exposedName(), (name, list) -> {
                        list.remove(c);
                        return list.isEmpty() ? null : list;
                    });
                    touched.add(c.route().exposedName());
                }
            }
            ToolCatalog.Source source = next.get(id);
            if (source != null) {
                Contribution now = contribution(source);
                servers.put(id, now);
                for (Candidate c : now.candidates()) {
                    List<Candidate> list = claims.computeIfAbsent(c.route().exposedName(), name -> new ArrayList<>(1));
                    int at = java.util.Collections.binarySearch(list, c, PRECEDENCE);
                    list.add(at < 0 ? -at - 1 : at, c);
                    touched.add(c.route().exposedName());
                }
            }
        }
        boolean differs = false;
        for (String name : touched) {
            List<Candidate> list = claims.get(name);
            if (list != null && list.size() > 1) {
                contested.add(name);
            } else {
                contested.remove(name);
            }
            Candidate winner = list == null ? null : list.get(0);
            Candidate previous = winner == null ? winners.remove(name) : winners.put(name, winner);
            if (winner == null) {
                routes.remove(name);
            } else {
                routes.put(name, winner.route());
            }
            if (previous != winner) {
                differs |= previous == null || winner == null || !java.util.Arrays.equals(previous.hash(), winner.hash());
                if (previous != null) {
                    ToolCatalog.xor(fingerprint, previous.hash());
                }
                if (winner != null) {
                    ToolCatalog.xor(fingerprint, winner.hash());
                }
            }
        }
        List<ToolCatalog.Dropped> dropped = dropped();
        if (differs || !dropped.equals(snapshot.dropped())) {
            snapshot = ToolCatalog.of(new TreeMap<>(routes), dropped, ToolCatalog.hex(fingerprint));
        }
        return snapshot;
    }

    /**
     * Conditional mode: updates who offers each name for the changed servers and returns the other servers whose
     * prefixing changes because a name they offer became shared or stopped being shared.
     */
    private Set<String> reshare(Set<String> changed, Map<String, ToolCatalog.Source> next) {
        Map<String, Boolean> sharedBefore = new HashMap<>();
        Map<String, Set<String>> namesNow = new HashMap<>();
        for (String id : changed) {
            Contribution old = servers.get(id);
            ToolCatalog.Source source = next.get(id);
            Set<String> now = source == null ? Set.of() : names(source);
            namesNow.put(id, now);
            Set<String> before = old == null ? Set.of() : old.names();
            for (String name : before) {
                sharedBefore.putIfAbsent(name, holders.getOrDefault(name, Set.of()).size() > 1);
            }
            for (String name : now) {
                sharedBefore.putIfAbsent(name, holders.getOrDefault(name, Set.of()).size() > 1);
            }
        }
        for (String id : changed) {
            Contribution old = servers.get(id);
            if (old != null) {
                for (String name : old.names()) {
                    holders.computeIfPresent(name, (n, set) -> {
                        set.remove(id);
                        return set.isEmpty() ? null : set;
                    });
                }
            }
            for (String name : namesNow.get(id)) {
                holders.computeIfAbsent(name, n -> new HashSet<>(2)).add(id);
            }
        }
        Set<String> others = new LinkedHashSet<>();
        sharedBefore.forEach((name, was) -> {
            Set<String> offering = holders.getOrDefault(name, Set.of());
            if (was != offering.size() > 1) {
                offering.stream().filter(next::containsKey).forEach(others::add);
            }
        });
        return others;
    }

    /** The filtered, distinct tool names a backend offers (whether served or not). */
    private static Set<String> names(ToolCatalog.Source source) {
        Set<String> names = new HashSet<>();
        for (ObjectNode tool : source.tools()) {
            String name = tool.path("name").asText();
            if (source.entry().effectiveFilter().allows(name)) {
                names.add(name);
            }
        }
        return names;
    }

    private Contribution contribution(ToolCatalog.Source source) {
        ServerEntry entry = source.entry();
        Set<String> names = mode == PrefixMode.CONDITIONAL ? names(source) : Set.of();
        List<Candidate> candidates = new ArrayList<>();
        List<ToolCatalog.Dropped> invalid = new ArrayList<>();
        if (source.serving()) {
            for (ObjectNode tool : ToolCatalog.claimOrder(source)) {
                String original = tool.path("name").asText();
                String exposed = ToolCatalog.exposedName(mode, entry, original, holders.getOrDefault(original, Set.of()).size() > 1);
                if (exposed == null) {
                    invalid.add(new ToolCatalog.Dropped(entry.id(), original, "invalid_name"));
                    continue;
                }
                ToolRoute route = ToolCatalog.route(entry, tool, exposed);
                candidates.add(new Candidate(entry.id(), candidates.size(), route, ToolCatalog.routeHash(route)));
            }
        }
        return new Contribution(entry, source.tools(), source.serving(), names, List.copyOf(candidates), List.copyOf(invalid));
    }

    /** Every tool left out: invalid names, and each name's candidates after its owner; in server id order. */
    private List<ToolCatalog.Dropped> dropped() {
        List<ToolCatalog.Dropped> dropped = new ArrayList<>();
        for (Contribution c : servers.values()) {
            dropped.addAll(c.invalid());
        }
        for (String name : contested) {
            List<Candidate> list = claims.get(name);
            ToolRoute owner = list.get(0).route();
            for (Candidate loser : list.subList(1, list.size())) {
                dropped.add(new ToolCatalog.Dropped(loser.serverId(), loser.route().originalName(),
                        "collision with " + owner.serverId() + "/" + owner.originalName()));
            }
        }
        dropped.sort(Comparator.comparing(ToolCatalog.Dropped::serverId).thenComparing(ToolCatalog.Dropped::originalName)
                .thenComparing(ToolCatalog.Dropped::reason));
        return dropped;
    }
}
