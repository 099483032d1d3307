package dev.manifold.it.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.net.http.HttpRequest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad input gets a clear 4xx with a JSON-RPC error body, never a 5xx, and the proxy keeps working. */
class BadInputIT {

    private static Fleet fleet;
    private static ProxyProcess proxy;

    @BeforeAll
    static void start() {
        fleet = new Fleet("bad-input", 1);
        proxy = fleet.startProxy("proxy");
    }

    @AfterAll
    static void stop() {
        if (fleet != null) {
            fleet.close();
        }
    }

    private static JsonNode error(McpClient.Answer answer, int status) throws Exception {
        assertEquals(status, answer.status(), answer.body());
        JsonNode body = new ObjectMapper().readTree(answer.body());
        assertEquals("2.0", body.path("jsonrpc").asText());
        assertTrue(body.path("error").path("message").asText().length() > 5, answer.body());
        return body.path("error");
    }

    @Test
    void malformedSessionIdIs400() throws Exception {
        JsonNode e = error(McpClient.post(proxy.mcpUrl(), "../../etc/passwd", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}"), 400);
        assertTrue(e.path("message").asText().contains("Mcp-Session-Id"));
    }

    @Test
    void unknownSessionIs404SoTheClientReinitializes() throws Exception {
        JsonNode e = error(McpClient.post(proxy.mcpUrl(), "A".repeat(32), "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"ping\"}"), 404);
        assertEquals(-32001, e.path("code").asInt());
    }

    @Test
    void unknownRouteIs404() throws Exception {
        JsonNode e = error(McpClient.post(proxy.baseUrl() + "/demo/nothing-here/mcp", null, McpClient.initializeBody()), 404);
        assertTrue(e.path("message").asText().contains("/demo/nothing-here/mcp"));
    }

    /**
     * A declared body over the default 4 MiB limit is refused from its headers alone (a raw socket, so the body is
     * never sent and nothing depends on how a client library handles an early answer).
     */
    @Test
    void bodyOverTheDefault4MiBLimitIs413() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", proxy.port)) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("POST /demo/echo/mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + (5 * 1024 * 1024) + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int split = response.indexOf("\r\n\r\n");
            String statusLine = response.substring(0, response.indexOf("\r\n"));
            assertTrue(statusLine.startsWith("HTTP/1.1 413"), statusLine);
            JsonNode e = new ObjectMapper().readTree(response.substring(split + 4)).path("error");
            assertTrue(e.path("message").asText().contains("4194304"), e.toString());
        }
    }

    @Test
    void nonJsonBodyIs400ParseError() throws Exception {
        JsonNode e = error(McpClient.post(proxy.mcpUrl(), null, "this is not json"), 400);
        assertEquals(-32700, e.path("code").asInt());
        error(McpClient.post(proxy.mcpUrl(), null, "\"just a string\""), 400);
        error(McpClient.post(proxy.mcpUrl(), null, ""), 400);
    }

    @Test
    void unsupportedMethodIs405() throws Exception {
        McpClient.Answer answer = McpClient.send(HttpRequest.newBuilder(URI.create(proxy.mcpUrl()))
                .PUT(HttpRequest.BodyPublishers.ofString("{}")).build());
        error(answer, 405);
    }

    @Test
    void theProxyStillServesAfterBadInput() {
        String sid = McpClient.openSession(proxy.mcpUrl());
        assertEquals("Echo: fine", McpClient.echo(proxy.mcpUrl(), sid, "fine"));
    }
}
