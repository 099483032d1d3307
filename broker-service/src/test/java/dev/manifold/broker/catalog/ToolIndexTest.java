package dev.manifold.broker.catalog;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.manifold.contracts.PrefixMode;
import dev.manifold.contracts.ServerEntry;
import dev.manifold.contracts.ToolFilter;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ToolIndexTest {
    private static final String[] NAMES = {"echo", "sum", "get_time", "fetch", "search", "", "a very long tool name "
            + "that goes on well past the sixty-four characters a client accepts", "x.y", "echo"};

    private static ObjectNode tool(String name, int variant) {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("name", name);
        node.put("description", "d-" + name + "-" + variant);
        node.putObject("inputSchema").put("type", "object");
        return node;
    }

    private static ToolCatalog.Source source(String id, String prefix, boolean serving, ToolFilter filter, List<ObjectNode> tools) {
        return new ToolCatalog.Source(new ServerEntry(id, prefix, "http://" + id + "/mcp", true, filter, null, null, null),
                tools, serving);
    }

    /** The incremental catalog is exactly the one a full build gives for the same sources. */
    private static void assertSameAsFullBuild(ToolCatalog incremental, PrefixMode mode, List<ToolCatalog.Source> sources, String step) {
        ToolCatalog full = ToolCatalog.build(mode, sources);
        assertEquals(full.fingerprint(), incremental.fingerprint(), step);
        assertEquals(full.page(null, Integer.MAX_VALUE), incremental.page(null, Integer.MAX_VALUE), step);
        Comparator<ToolCatalog.Dropped> order = Comparator.comparing(ToolCatalog.Dropped::serverId)
                .thenComparing(ToolCatalog.Dropped::originalName).thenComparing(ToolCatalog.Dropped::reason);
        List<ToolCatalog.Dropped> expected = new ArrayList<>(full.dropped());
        expected.sort(order);
        assertEquals(expected, incremental.dropped(), step);
    }

    @Test
    void randomChangesGiveExactlyTheCatalogOfAFullBuildInEveryPrefixMode() {
        Random random = new Random(20261204);
        for (int run = 0; run < 60; run++) {
            ToolIndex index = new ToolIndex();
            Map<String, ToolCatalog.Source> live = new HashMap<>();
            PrefixMode mode = PrefixMode.values()[run % PrefixMode.values().length];
            for (int step = 0; step < 40; step++) {
                String id = "s" + random.nextInt(6);
                int action = random.nextInt(10);
                if (action == 0) {
                    live.remove(id);
                } else if (action == 1 && live.containsKey(id)) {
                    ToolCatalog.Source s = live.get(id);
                    live.put(id, new ToolCatalog.Source(s.entry(), s.tools(), !s.serving()));
                } else if (action == 2 && step > 30) {
                    mode = PrefixMode.values()[random.nextInt(PrefixMode.values().length)];
                } else {
                    List<ObjectNode> tools = new ArrayList<>();
                    int count = random.nextInt(5);
                    for (int i = 0; i < count; i++) {
                        tools.add(tool(NAMES[random.nextInt(NAMES.length)], random.nextInt(2)));
                    }
                    ToolFilter filter = random.nextInt(4) == 0 ? new ToolFilter(List.of("*"), List.of("sum")) : null;
                    String prefix = random.nextInt(5) == 0 ? "p_" : id + "_"; // a shared prefix makes collisions
                    live.put(id, source(id, prefix, random.nextInt(5) != 0, filter, tools));
                }
                List<ToolCatalog.Source> sources = new ArrayList<>(live.values());
                java.util.Collections.shuffle(sources, random);
                assertSameAsFullBuild(index.update(mode, sources), mode, sources, "run " + run + " step " + step + " mode " + mode);
            }
        }
    }

    @Test
    void anUnchangedSetOfSourcesGivesTheSameSnapshotWithoutWork() {
        ToolIndex index = new ToolIndex();
        List<ToolCatalog.Source> sources = List.of(source("a", "a_", true, null, List.of(tool("echo", 0))));
        ToolCatalog first = index.update(PrefixMode.ALWAYS, sources);
        assertSame(first, index.update(PrefixMode.ALWAYS, new ArrayList<>(sources)));
    }

    @Test
    void aChangedBackendIsRecomputedAloneAndTheOthersKeepTheirRoutes() {
        ToolIndex index = new ToolIndex();
        List<ToolCatalog.Source> sources = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            sources.add(source(String.format("b%02d", i), String.format("b%02d_", i), true, null,
                    List.of(tool("echo", 0), tool("sum", 0))));
        }
        ToolCatalog before = index.update(PrefixMode.ALWAYS, sources);
        sources.set(7, source("b07", "b07_", true, null, List.of(tool("echo", 1))));
        ToolCatalog after = index.update(PrefixMode.ALWAYS, sources);
        assertEquals(99, after.size());
        // Untouched backends' routes are the very same objects: their definitions were not copied again.
        assertSame(before.route("b08_echo"), after.route("b08_echo"));
        assertTrue(after.route("b07_sum") == null && after.route("b07_echo").definition().path("description").asText().endsWith("-1"));
        assertSameAsFullBuild(after, PrefixMode.ALWAYS, sources, "after one change");
    }

    @Test
    void conditionalModeRenamesAnotherBackendsToolWhenItsNameBecomesShared() {
        ToolIndex index = new ToolIndex();
        List<ToolCatalog.Source> sources = new ArrayList<>(List.of(
                source("a", "a_", true, null, List.of(tool("echo", 0))),
                source("b", "b_", true, null, List.of(tool("sum", 0)))));
        assertEquals(List.of("echo", "sum"), index.update(PrefixMode.CONDITIONAL, sources).page(null, 10).stream().map(ToolRoute::exposedName).toList());
        sources.set(1, source("b", "b_", true, null, List.of(tool("sum", 0), tool("echo", 0))));
        ToolCatalog shared = index.update(PrefixMode.CONDITIONAL, sources);
        assertEquals(List.of("a_echo", "b_echo", "sum"), shared.page(null, 10).stream().map(ToolRoute::exposedName).toList());
        sources.remove(1);
        assertEquals(List.of("echo"), index.update(PrefixMode.CONDITIONAL, sources).page(null, 10).stream().map(ToolRoute::exposedName).toList());
    }
}
