package dev.manifold.broker.catalog;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.manifold.contracts.PrefixMode;
import dev.manifold.contracts.ServerEntry;
import dev.manifold.contracts.ToolFilter;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ToolCatalogTest {

    private static ObjectNode tool(String name) {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("name", name);
        node.put("description", "d-" + name);
        node.putObject("inputSchema").put("type", "object");
        return node;
    }

    private static ToolCatalog.Source source(String id, String prefix, boolean serving, String... tools) {
        return new ToolCatalog.Source(new ServerEntry(id, prefix, "http://" + id + "/mcp", true, null, null, null, null),
                Arrays.stream(tools).map(ToolCatalogTest::tool).toList(), serving);
    }

    private static List<String> names(ToolCatalog catalog) {
        return catalog.page(null, 1000).stream().map(ToolRoute::exposedName).toList();
    }

    @Test
    void alwaysPrefixesEveryToolAndKeepsTheDefinition() {
        ToolCatalog catalog = ToolCatalog.build(PrefixMode.ALWAYS, List.of(source("a", "a_", true, "echo", "sum")));
        assertEquals(List.of("a_echo", "a_sum"), names(catalog));
        ToolRoute route = catalog.route("a_echo");
        assertEquals("echo", route.originalName());
        assertEquals("d-echo", route.definition().path("description").asText());
        assertEquals("object", route.definition().path("inputSchema").path("type").asText());
    }

    @Test
    void neverModeCollisionsAreWonByTheSmallerServerIdAndReported() {
        ToolCatalog catalog = ToolCatalog.build(PrefixMode.NEVER, List.of(
                source("zeta", "z_", true, "echo", "only_z"),
                source("alpha", "a_", true, "echo")));
        assertEquals(List.of("echo", "only_z"), names(catalog));
        assertEquals("alpha", catalog.route("echo").serverId());
        assertEquals(List.of(new ToolCatalog.Dropped("zeta", "echo", "collision with alpha/echo")), catalog.dropped());
    }

    @Test
    void conditionalModePrefixesOnlyNamesThatCollide() {
        ToolCatalog catalog = ToolCatalog.build(PrefixMode.CONDITIONAL, List.of(
                source("a", "a_", true, "echo", "sum"),
                source("b", "b_", true, "echo", "time")));
        assertEquals(List.of("a_echo", "b_echo", "sum", "time"), names(catalog));
    }

    @Test
    void conditionalNamesDoNotChangeWhenTheOtherOwnerIsMerelyDown() {
        ToolCatalog catalog = ToolCatalog.build(PrefixMode.CONDITIONAL, List.of(
                source("a", "a_", true, "echo"),
                source("b", "b_", false, "echo")));
        assertEquals(List.of("a_echo"), names(catalog));
    }

    @Test
    void filtersApplyToTheBackendsOwnNames() {
        ServerEntry entry = new ServerEntry("w", "weather_", "http://w/mcp", true,
                new ToolFilter(List.of("get_*"), List.of("get_secret")), null, null, null);
        ToolCatalog catalog = ToolCatalog.build(PrefixMode.ALWAYS, List.of(new ToolCatalog.Source(entry,
                List.of(tool("get_weather"), tool("get_secret"), tool("set_weather")), true)));
        assertEquals(List.of("weather_get_weather"), names(catalog));
    }

    @Test
    void namesAreAlwaysValidAndLongNamesStayDistinct() {
        String longA = "x".repeat(70) + "a";
        String longB = "x".repeat(70) + "b";
        ToolCatalog catalog = ToolCatalog.build(PrefixMode.ALWAYS, List.of(
                source("s", "s_", true, "hello world", "ünïcode", longA, longB, "ok-name_1")));
        List<String> names = names(catalog);
        assertEquals(5, names.size());
        names.forEach(n -> assertTrue(ToolCatalog.VALID_NAME.matcher(n).matches(), n));
        assertTrue(names.contains("s_hello_world"));
        assertTrue(names.contains("s_ok-name_1"));
        assertNotEquals(catalog.page(null, 100).stream().filter(r -> r.originalName().equals(longA)).findFirst().orElseThrow().exposedName(),
                catalog.page(null, 100).stream().filter(r -> r.originalName().equals(longB)).findFirst().orElseThrow().exposedName());
    }

    @Test
    void theCatalogDoesNotDependOnTheOrderBackendsOrToolsArrive() {
        List<ToolCatalog.Source> sources = new ArrayList<>(List.of(
                source("c", "", true, "echo", "a", "b"),
                source("a", "", true, "b", "echo"),
                source("b", "", true, "echo", "z")));
        ToolCatalog reference = ToolCatalog.build(PrefixMode.NEVER, sources);
        Random random = new Random(11);
        for (int i = 0; i < 50; i++) {
            List<ToolCatalog.Source> shuffled = new ArrayList<>();
            for (ToolCatalog.Source s : sources) {
                List<ObjectNode> tools = new ArrayList<>(s.tools());
                Collections.shuffle(tools, random);
                shuffled.add(new ToolCatalog.Source(s.entry(), tools, s.serving()));
            }
            Collections.shuffle(shuffled, random);
            ToolCatalog other = ToolCatalog.build(PrefixMode.NEVER, shuffled);
            assertEquals(reference.fingerprint(), other.fingerprint());
            assertEquals(reference.dropped(), other.dropped());
        }
    }

    @Test
    void pagesWalkTheWholeCatalogInOrder() {
        ToolCatalog catalog = ToolCatalog.build(PrefixMode.NEVER, List.of(source("a", "", true, "t1", "t2", "t3", "t4", "t5")));
        List<String> walked = new ArrayList<>();
        String after = null;
        do {
            List<ToolRoute> page = catalog.page(after, 2);
            page.forEach(r -> walked.add(r.exposedName()));
            after = page.get(page.size() - 1).exposedName();
        } while (catalog.hasAfter(after));
        assertEquals(List.of("t1", "t2", "t3", "t4", "t5"), walked);
    }
}
