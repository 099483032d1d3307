package dev.manifold.broker;

import dev.manifold.broker.testing.FixtureBackends;
import dev.manifold.broker.testing.McpClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The client-facing /mcp surface, against two real fixture MCP servers and one that is down. */
@QuarkusTest
@WithTestResource(FixtureBackends.class)
class McpEndpointTest {

    private static final List<String> EXPECTED_TOOLS = List.of(
            "alpha_echo", "alpha_fail_always", "alpha_get_secret", "alpha_get_weather", "alpha_reverse",
            "beta_get_time", "beta_get_weather");

    @BeforeEach
    void backendsAreReady() {
        await().atMost(Duration.ofSeconds(20)).until(() -> McpClient.initialize().toolNames().size() == EXPECTED_TOOLS.size());
    }

    @Test
    void tracingIsOffByDefaultAndNoTraceContextReachesABackend() {
        McpClient client = McpClient.initialize();
        given().contentType("application/json").accept("application/json, text/event-stream")
                .header("Mcp-Session-Id", client.sessionId())
                .header("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
                .body("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":\"alpha_echo\","
                        + "\"arguments\":{\"message\":\"untraced\"}}}")
                .post("/mcp").then().statusCode(200).body("result.content[0].text", containsString("untraced"));
        var received = FixtureBackends.alpha.received("tools/call").stream()
                .filter(r -> r.message().path("params").path("arguments").path("message").asText().equals("untraced"))
                .toList();
        assertEquals(1, received.size());
        assertEquals(null, received.get(0).traceparent(), "a backend got trace context while tracing is off");
    }

    @Test
    void initializeNegotiatesTheVersionAndIssuesASession() {
        Response response = given().contentType("application/json").accept("application/json, text/event-stream")
                .body("{\"jsonrpc\":\"2.0\",\"id\":\"init\",\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-03-26\","
                        + "\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}")
                .post("/mcp");
        response.then().statusCode(200)
                .header("Mcp-Session-Id", notNullValue())
                .body("id", equalTo("init"))
                .body("result.protocolVersion", equalTo("2025-03-26"))
                .body("result.capabilities.tools.listChanged", equalTo(true));
        assertTrue(response.header("Mcp-Session-Id").matches("[0-9a-f]{32}"), "128-bit hex session id");

        given().contentType("application/json")
                .body("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"1999-01-01\"}}")
                .post("/mcp").then().statusCode(200).body("result.protocolVersion", equalTo("2025-11-25"));
    }

    @Test
    void toolsListAppliesPrefixesAndFiltersAndLeavesTheDownBackendOut() {
        assertEquals(EXPECTED_TOOLS, McpClient.initialize().toolNames());
    }

    @Test
    void toolsListIsPagedForClientsAndKeepsTheBackendsDefinitions() {
        McpClient client = McpClient.initialize();
        Response first = client.post("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}");
        first.then().statusCode(200)
                .body("result.tools.size()", equalTo(3))
                .body("result.nextCursor", notNullValue())
                .body("result.tools[0].name", equalTo("alpha_echo"))
                .body("result.tools[0].description", equalTo("echo of alpha"))
                .body("result.tools[0].annotations.readOnlyHint", equalTo(true))
                .body("result.tools[0]._meta.fixture", equalTo("alpha"))
                .body("result.tools[0].inputSchema.type", equalTo("object"));
        client.post("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\",\"params\":{\"cursor\":\"!!not-base64!!\"}}")
                .then().statusCode(200).body("error.code", equalTo(-32602));
    }

    @Test
    void toolsCallIsRoutedWithThePrefixStrippedAndTheResultUntouched() {
        McpClient client = McpClient.initialize();
        client.call("beta_get_weather", "hello").then().statusCode(200)
                .body("id", equalTo(7))
                .body("result.content[0].text", equalTo("get_weather from beta: hello"))
                .body("result.structuredContent.server", equalTo("beta"))
                .body("result.structuredContent.tool", equalTo("get_weather"))
                .body("result.isError", equalTo(false))
                .body("result._meta.servedBy", equalTo("beta"));
        client.call("alpha_get_weather", "x").then().body("result.structuredContent.server", equalTo("alpha"));
        client.call("alpha_fail_always", "x").then().statusCode(200).body("result.isError", equalTo(true))
                .body("error", nullValue());
    }

    @Test
    void unknownAndFilteredToolsGetAJsonRpcError() {
        McpClient client = McpClient.initialize();
        client.call("nope", "x").then().statusCode(200)
                .body("error.code", equalTo(-32602)).body("error.message", containsString("Unknown tool: nope"));
        client.call("beta_get_secret", "x").then().body("error.code", equalTo(-32602));
        client.call("down_echo", "x").then().body("error.code", equalTo(-32602));
    }

    @Test
    void malformedInputGetsAJsonRpcErrorAndNeverA500() {
        McpClient client = McpClient.initialize();
        client.post("{not json").then().statusCode(400).body("error.code", equalTo(-32700)).body("id", nullValue());
        client.post("").then().statusCode(400).body("error.code", equalTo(-32700));
        client.post("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]").then().statusCode(400).body("error.code", equalTo(-32600));
        client.post("{\"id\":1,\"method\":\"ping\"}").then().statusCode(400).body("error.code", equalTo(-32600));
        client.post("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":42}").then().statusCode(400).body("error.code", equalTo(-32600));
        client.post("{\"jsonrpc\":\"2.0\",\"id\":{\"a\":1},\"method\":\"ping\"}").then().statusCode(400).body("error.code", equalTo(-32600));
        client.post("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":[1]}").then().statusCode(400).body("error.code", equalTo(-32602));
        client.post("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":{}}").then().statusCode(200).body("error.code", equalTo(-32602));
        client.post("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"no/such\"}").then().statusCode(200).body("error.code", equalTo(-32601));
        client.post("{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"ping\"}").then().statusCode(200).body("result", notNullValue());
    }

    /** max-json-depth (1000, Jackson's): one level deeper is a 400 parse error naming the key; 900 levels pass. */
    @Test
    void jsonNestedDeeperThanMaxJsonDepthIs400NamingTheLimit() {
        McpClient client = McpClient.initialize();
        String tooDeep = "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"tools/call\",\"params\":{\"name\":\"alpha_echo\","
                + "\"arguments\":{\"message\":\"deep\",\"extra\":" + "[".repeat(1000) + "]".repeat(1000) + "}}}";
        client.post(tooDeep).then().statusCode(400).body("error.code", equalTo(-32700))
                .body("error.message", containsString("deeper than 1000 levels (max-json-depth)"));
        String deepEnough = tooDeep.replace("[".repeat(1000), "[".repeat(900)).replace("]".repeat(1000), "]".repeat(900));
        client.post(deepEnough).then().statusCode(200).body("result.content[0].text", containsString("deep"));
    }

    @Test
    void sessionsAreRequiredKnownAndEndedByDelete() {
        given().contentType("application/json").body("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}")
                .post("/mcp").then().statusCode(400).body("error.code", equalTo(-32600));
        given().contentType("application/json").header("Mcp-Session-Id", "0123")
                .body("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}")
                .post("/mcp").then().statusCode(404).body("error.code", equalTo(-32001));
        McpClient client = McpClient.initialize();
        client.call("alpha_echo", "before delete").then().statusCode(200).body("result.content[0].text", containsString("before delete"));
        given().header("Mcp-Session-Id", client.sessionId()).delete("/mcp").then().statusCode(200);
        client.post("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}").then().statusCode(404);
    }

    @Test
    void aForeignOriginIsRejected() {
        given().contentType("application/json").header("Origin", "https://evil.example")
                .body("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\"}}")
                .post("/mcp").then().statusCode(403);
        given().contentType("application/json").header("Origin", "http://localhost:6274")
                .body("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\"}}")
                .post("/mcp").then().statusCode(200);
    }

    /** DNS rebinding: a page whose own name resolves to 127.0.0.1 sends its own Host; standalone mode refuses it. */
    @Test
    void aForeignHostIsRejectedInStandaloneMode() {
        given().contentType("application/json").header("Host", "rebound.evil.example:8081")
                .body("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\"}}")
                .post("/mcp").then().statusCode(403).body("error.code", equalTo(-32600));
        given().header("Host", "rebound.evil.example:8081").accept("text/event-stream").get("/mcp").then().statusCode(403);
        given().header("Host", "rebound.evil.example:8081").delete("/mcp").then().statusCode(403);
    }

    @Test
    void readinessReportsTheAppliedConfigAndBackendStates() {
        given().get("/q/health/ready").then().statusCode(200)
                .body("checks.find { it.name == 'manifold-broker-config' }.data.'backends.ready'", equalTo(2))
                .body("checks.find { it.name == 'manifold-broker-config' }.data.version", containsString("sha256:"));
        given().get("/q/health/live").then().statusCode(200);
        given().get("/q/metrics").then().statusCode(200)
                .body(containsString("manifold_broker_backends{state=\"ready\"} 2.0"))
                .body(containsString("manifold_broker_tools 7.0"))
                .body(containsString("manifold_broker_config_applies_total"))
                .body(containsString("manifold_broker_backend_connects_total{server=\"alpha\"}"))
                .body(containsString("manifold_broker_requests_total{method=\"tools/list\",outcome=\"ok\"}"))
                .body(containsString("manifold_broker_request_seconds_bucket"));
    }
}
