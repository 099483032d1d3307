package dev.manifold.broker;

import dev.manifold.broker.testing.FixtureBackends;
import dev.manifold.broker.testing.McpClient;
import dev.manifold.runtime.testing.RawSockets;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Finding 5 of the abuse probe: a client that sends half a header, or half a body, and then nothing is disconnected
 * after the idle timeout instead of holding its connection for ever; a client listening on a quiet SSE stream is not,
 * because the broker writes a keepalive comment more often than the idle timeout.
 */
@QuarkusTest
@TestProfile(ConnectionTimeoutsTest.ShortIdle.class)
@WithTestResource(FixtureBackends.class)
class ConnectionTimeoutsTest {

    public static class ShortIdle implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.http.idle-timeout", "1s", "manifold.broker.sse-heartbeat-interval", "250ms");
        }
    }

    @Test
    void slowHeadersAndSlowBodiesAreDisconnectedAfterTheIdleTimeout() throws IOException {
        try (Socket slowHeader = RawSockets.open(RestAssured.port, "POST /mcp HTTP/1.1\r\nHost: localhost\r\nContent-Ty");
             Socket slowBody = RawSockets.open(RestAssured.port, "POST /mcp HTTP/1.1\r\nHost: localhost\r\n"
                     + "Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
                     + "Content-Length: 100\r\n\r\n{\"jsonrpc\":")) {
            await().atMost(Duration.ofSeconds(15)).until(() -> RawSockets.closedByServer(slowHeader));
            await().atMost(Duration.ofSeconds(15)).until(() -> RawSockets.closedByServer(slowBody));
        }
    }

    @Test
    void aQuietStreamGetsKeepalivesAndOutlivesTheIdleTimeout() throws IOException {
        String sid = McpClient.initialize().sessionId();
        try (Socket stream = RawSockets.open(RestAssured.port, "GET /mcp HTTP/1.1\r\nHost: localhost\r\n"
                + "Accept: text/event-stream\r\nMcp-Session-Id: " + sid + "\r\nMCP-Protocol-Version: 2025-06-18\r\n\r\n")) {
            String seen = RawSockets.readFor(stream, 3500); // three and a half idle timeouts with no event
            assertTrue(seen.startsWith("HTTP/1.1 200"), seen);
            assertTrue(seen.split(": keepalive", -1).length > 3, "keepalive comments: " + seen);
            assertFalse(RawSockets.closedByServer(stream), "the stream is still open: " + seen);
        }
    }
}
