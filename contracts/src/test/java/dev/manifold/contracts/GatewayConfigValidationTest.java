package dev.manifold.contracts;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GatewayConfigValidationTest {

    private static GatewayConfig parse(String json) {
        return GatewayConfigCodec.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void unknownTopLevelFieldIsRejectedNamingTheField() {
        ConfigValidationException e = assertThrows(ConfigValidationException.class,
                () -> parse("{\"servers\":[],\"sever\":1}"));
        assertTrue(e.getMessage().contains("unknown field 'sever'"), e.getMessage());
    }

    @Test
    void unknownNestedFieldIsRejectedWithItsPath() {
        ConfigValidationException e = assertThrows(ConfigValidationException.class, () -> parse(
                "{\"servers\":[{\"id\":\"a\",\"url\":\"http://a/mcp\"},{\"id\":\"b\",\"url\":\"http://b/mcp\",\"toolPrefx\":\"b_\"}]}"));
        assertEquals("servers[1].toolPrefx", e.field());
        assertTrue(e.getMessage().contains("unknown field 'toolPrefx'"), e.getMessage());
    }

    /** The broker can reach a server only by its url or, for a workload, through the proxy-runner: one must be set. */
    @Test
    void anEntryWithNeitherUrlNorWorkloadIsNeverPublishedNorRead() {
        ConfigValidationException e = assertThrows(ConfigValidationException.class,
                () -> new ServerEntry("team-a/lost", "", null, true, null, null, null, null));
        assertEquals("url", e.field());
        assertTrue(e.getMessage().contains("without a workload"), e.getMessage());

        e = assertThrows(ConfigValidationException.class, () -> parse("{\"servers\":[{\"id\":\"team-a/lost\"}]}"));
        assertEquals("servers[0].url", e.field());

        GatewayConfig workload = parse("{\"servers\":[{\"id\":\"team-a/run\",\"workload\":{\"statefulSet\":\"run\","
                + "\"headlessService\":\"run-headless\",\"namespace\":\"team-a\",\"port\":3000,\"path\":\"/mcp\",\"replicas\":3}}]}");
        assertEquals(null, workload.servers().get(0).url());
        assertEquals("run-headless", workload.servers().get(0).workload().headlessService());
    }

    @Test
    void duplicateServerIdsAreRejected() {
        ConfigValidationException e = assertThrows(ConfigValidationException.class, () -> parse(
                "{\"servers\":[{\"id\":\"a\",\"url\":\"http://a/mcp\"},{\"id\":\"a\",\"url\":\"http://other/mcp\"}]}"));
        assertTrue(e.getMessage().contains("duplicate server id 'a'"), e.getMessage());
        assertThrows(ConfigValidationException.class, () -> GatewayConfigCodec.build(PrefixMode.ALWAYS, List.of(
                new ServerEntry("x", "", "http://x/mcp", true, null, null, null, null),
                new ServerEntry("x", "", "http://y/mcp", true, null, null, null, null))));
    }

    @Test
    void invalidFieldValuesNameTheFieldAndPosition() {
        ConfigValidationException e = assertThrows(ConfigValidationException.class, () -> parse(
                "{\"servers\":[{\"id\":\"a\",\"url\":\"ftp://a/mcp\"}]}"));
        assertEquals("servers[0].url", e.field());
        assertTrue(e.getMessage().contains("http or https"), e.getMessage());

        e = assertThrows(ConfigValidationException.class, () -> parse(
                "{\"servers\":[{\"id\":\"a\",\"url\":\"http://a/mcp\",\"toolPrefix\":\"has space\"}]}"));
        assertEquals("servers[0].toolPrefix", e.field());

        e = assertThrows(ConfigValidationException.class, () -> parse("{\"prefixMode\":\"sometimes\",\"servers\":[]}"));
        assertTrue(e.getMessage().contains("prefixMode"), e.getMessage());
    }

    @Test
    void aVersionThatDoesNotMatchTheContentIsRejected() {
        ConfigValidationException e = assertThrows(ConfigValidationException.class, () -> parse(
                "{\"version\":\"sha256:00\",\"servers\":[{\"id\":\"a\",\"url\":\"http://a/mcp\"}]}"));
        assertEquals("version", e.field());
    }

    @Test
    void malformedJsonIsAClearError() {
        ConfigValidationException e = assertThrows(ConfigValidationException.class, () -> parse("{\"servers\":["));
        assertTrue(e.getMessage().contains("line"), e.getMessage());
    }

    @Test
    void emptyFilterAndMissingEnabledAreCanonicalizedToDefaults() {
        GatewayConfig a = GatewayConfigCodec.build(PrefixMode.ALWAYS,
                List.of(new ServerEntry("a", null, "http://a/mcp", null, new ToolFilter(List.of(), null), null, "", null)));
        GatewayConfig b = GatewayConfigCodec.build(PrefixMode.ALWAYS,
                List.of(new ServerEntry("a", "", "http://a/mcp", true, null, null, null, null)));
        assertEquals(a.version(), b.version());
    }

    @Test
    void toolFilterIncludesAndExcludesByGlob() {
        ToolFilter filter = new ToolFilter(List.of("get_*"), List.of("get_secret"));
        assertTrue(filter.allows("get_weather"));
        assertTrue(!filter.allows("get_secret"));
        assertTrue(!filter.allows("set_weather"));
        assertTrue(new ToolFilter(null, List.of("*_admin", "dr?p")).allows("echo"));
        assertTrue(!new ToolFilter(null, List.of("*_admin", "dr?p")).allows("drop"));
        assertTrue(!new ToolFilter(null, List.of("*_admin")).allows("user_admin"));
    }
}
