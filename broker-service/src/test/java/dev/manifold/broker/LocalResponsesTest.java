package dev.manifold.broker;

import dev.manifold.broker.testing.McpClient;
import dev.manifold.runtime.testing.SseClient;
import dev.manifold.broker.testing.SseOnlyBackends;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * local-responses=auto: when every ready backend answers with SSE, the broker's own answers are SSE too. Forwarded
 * answers the backend streams: JSON when the answer comes alone within stream-open-delay, SSE otherwise.
 */
@QuarkusTest
@WithTestResource(SseOnlyBackends.class)
class LocalResponsesTest {

    @TestHTTPResource("/mcp")
    URL mcpUrl;

    @BeforeEach
    void ready() {
        await().atMost(Duration.ofSeconds(20)).until(() -> McpClient.initialize().toolNames().equals(List.of("s_echo", "s_hang")));
    }

    @Test
    void initializeIsAnsweredWithAPrimedStreamForA20251125Client() {
        Response response = given().contentType("application/json").accept("application/json, text/event-stream")
                .body("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\","
                        + "\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}")
                .post("/mcp");
        response.then().statusCode(200);
        assertTrue(response.getContentType().startsWith("text/event-stream"), response.getContentType());
        String body = response.asString();
        String[] events = body.split("\n\n");
        assertTrue(events[0].matches("(?s)id: p\\d+\\.1\nretry: 1500\ndata: "), "priming event first: " + body);
        assertTrue(events[1].matches("(?s)id: p\\d+\\.2\nevent: message\ndata: \\{.*\"protocolVersion\":\"2025-11-25\".*"), body);
    }

    @Test
    void aStreamedAnswerThatComesAloneAndInTimeIsJson() {
        McpClient client = McpClient.initialize();
        Response response = given().contentType("application/json").accept("application/json, text/event-stream")
                .header("Mcp-Session-Id", client.sessionId())
                .body("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"s_echo\","
                        + "\"arguments\":{\"message\":\"hi\"}}}")
                .post("/mcp");
        response.then().statusCode(200);
        assertTrue(response.getContentType().startsWith("application/json"), response.getContentType());
        assertEquals(7, response.jsonPath().getInt("id"));
        assertEquals("echo from streamy: hi", response.jsonPath().getString("result.content[0].text"));
    }

    @Test
    void aStreamedAnswerThatTakesLongerGetsAResumableStream() throws Exception {
        Response init = given().contentType("application/json").accept("application/json")
                .body("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\","
                        + "\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}")
                .post("/mcp");
        String sid = init.header("Mcp-Session-Id");
        given().contentType("application/json").header("Mcp-Session-Id", sid)
                .body("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}").post("/mcp").then().statusCode(202);
        try (SseClient call = SseClient.post(mcpUrl.toURI(), sid, "{\"jsonrpc\":\"2.0\",\"id\":\"h\",\"method\":\"tools/call\","
                + "\"params\":{\"name\":\"s_hang\",\"arguments\":{}}}", Map.of("MCP-Protocol-Version", "2025-11-25"))) {
            // no answer yet: after stream-open-delay the client gets the stream, primed so that it can resume
            assertEquals("text/event-stream", call.header("Content-Type"));
            SseClient.Event priming = call.next(Duration.ofSeconds(10));
            assertEquals("", priming.data(), "a 2025-11-25 stream starts with a priming event");
            assertTrue(priming.id() != null && !priming.id().isEmpty(), "the priming event has an id");
            given().contentType("application/json").header("Mcp-Session-Id", sid)
                    .body("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":\"h\"}}")
                    .post("/mcp").then().statusCode(202);
            String answer = call.nextMessage(Duration.ofSeconds(10)).data();
            assertTrue(answer.contains("\"id\":\"h\"") && answer.contains("-32800"), answer);
        }
    }

    @Test
    void localAnswersFollowTheAcceptHeader() {
        McpClient client = McpClient.initialize();
        Response sse = given().contentType("application/json").accept("application/json, text/event-stream")
                .header("Mcp-Session-Id", client.sessionId())
                .body("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}").post("/mcp");
        assertTrue(sse.getContentType().startsWith("text/event-stream"), sse.getContentType());
        assertTrue(sse.asString().contains("\"result\":{}"), sse.asString());
        assertTrue(!sse.asString().contains("retry:"), "no priming event for 2025-06-18: " + sse.asString());

        Response json = given().contentType("application/json").accept("application/json")
                .header("Mcp-Session-Id", client.sessionId())
                .body("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/list\"}").post("/mcp");
        assertTrue(json.getContentType().startsWith("application/json"), json.getContentType());
        assertEquals("s_echo", json.jsonPath().getString("result.tools[0].name"));
    }
}
