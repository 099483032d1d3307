package dev.manifold.proxy.route;

import dev.manifold.contracts.ConfigValidationException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RoutesFileParserTest {

    private static Map<String, Route> parse(String yaml) {
        return RoutesFileParser.parse(yaml.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void theDocumentedExampleGivesOneRouteWithTwoPods() {
        Map<String, Route> routes = parse("""
                routes:
                  - server: demo/echo
                    pods:
                      - { name: echo-0, url: "http://echo-0.echo-headless.demo.svc.cluster.local:3001/mcp" }
                      - { name: echo-1, url: "http://echo-1.echo-headless.demo.svc.cluster.local:3001/mcp" }
                """);
        Route route = routes.get("demo/echo");
        assertEquals(2, route.readyPods().size());
        assertEquals("echo-1.echo-headless.demo.svc.cluster.local", route.pod("echo-1").orElseThrow().host());
        assertEquals(3001, route.pod("echo-0").orElseThrow().port());
        assertEquals("/mcp", route.pod("echo-0").orElseThrow().requestUri());
    }

    @Test
    void aBadUrlNamesTheFieldAndTheLine() {
        ConfigValidationException e = assertThrows(ConfigValidationException.class, () -> parse("""
                routes:
                  - server: demo/echo
                    pods:
                      - { name: echo-0, url: "ftp://echo-0/mcp" }
                """));
        assertTrue(e.getMessage().contains("routes[0].pods[0].url"), e.getMessage());
        assertTrue(e.getMessage().contains("line 4"), e.getMessage());
    }

    @Test
    void aServerThatIsNotNamespaceSlashNameIsRejected() {
        ConfigValidationException e = assertThrows(ConfigValidationException.class, () -> parse("""
                routes:
                  - server: echo
                    pods: []
                """));
        assertTrue(e.getMessage().contains("routes[0].server"), e.getMessage());
        assertTrue(e.getMessage().contains("namespace/name"), e.getMessage());
    }

    @Test
    void anUnknownFieldIsRejectedWithItsName() {
        ConfigValidationException e = assertThrows(ConfigValidationException.class, () -> parse("""
                routes:
                  - server: demo/echo
                    replicas: 3
                    pods: []
                """));
        assertTrue(e.getMessage().contains("unknown field 'replicas'"), e.getMessage());
        assertTrue(e.getMessage().contains("(line "), e.getMessage());
    }

    @Test
    void duplicateServersAndPodsAreRejected() {
        ConfigValidationException servers = assertThrows(ConfigValidationException.class, () -> parse("""
                routes:
                  - { server: demo/echo, pods: [] }
                  - { server: demo/echo, pods: [] }
                """));
        assertTrue(servers.getMessage().contains("routes[1].server"), servers.getMessage());
        ConfigValidationException pods = assertThrows(ConfigValidationException.class, () -> parse("""
                routes:
                  - server: demo/echo
                    pods:
                      - { name: echo-0, url: "http://a:1/mcp" }
                      - { name: echo-0, url: "http://b:1/mcp" }
                """));
        assertTrue(pods.getMessage().contains("routes[0].pods[1].name"), pods.getMessage());
    }

    @Test
    void anEmptyFileIsAnErrorButAnEmptyListIsNot() {
        assertThrows(ConfigValidationException.class, () -> parse(""));
        assertTrue(parse("routes: []").isEmpty());
    }

    @Test
    void malformedYamlIsReportedWithALine() {
        ConfigValidationException e = assertThrows(ConfigValidationException.class, () -> parse("""
                routes:
                  - server: demo/echo
                    pods: [ { name: echo-0, url: "http://a:1/mcp" }
                """));
        assertTrue(e.getMessage().contains("line"), e.getMessage());
    }
}
