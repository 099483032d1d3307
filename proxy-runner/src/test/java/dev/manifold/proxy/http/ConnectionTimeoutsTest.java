package dev.manifold.proxy.http;

import dev.manifold.runtime.testing.RawSockets;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Finding 5 of the abuse probe, at the proxy-runner: half a header or half a body and then nothing is disconnected
 * after the idle timeout, and connections beyond max-connections are closed as they come.
 */
@QuarkusTest
@TestProfile(ConnectionTimeoutsTest.ShortIdle.class)
@QuarkusTestResource(value = FakePods.class, restrictToAnnotatedClass = true)
class ConnectionTimeoutsTest {

    public static class ShortIdle implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.http.idle-timeout", "3s", "quarkus.http.limits.max-connections", "2");
        }
    }

    @Test
    void slowClientsAreDisconnectedAndTheConnectionCountIsCapped() throws IOException {
        try (Socket slowHeader = RawSockets.open(RestAssured.port, "POST /demo/fake/mcp HTTP/1.1\r\nHost: localhost\r\nContent-Ty");
             Socket slowBody = RawSockets.open(RestAssured.port, "POST /demo/fake/mcp HTTP/1.1\r\nHost: localhost\r\n"
                     + "Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
                     + "Content-Length: 100\r\n\r\n{\"jsonrpc\":")) {
            await().atMost(Duration.ofSeconds(15)).until(() -> RawSockets.closedByServer(slowHeader));
            await().atMost(Duration.ofSeconds(15)).until(() -> RawSockets.closedByServer(slowBody));
        }
        List<Socket> held = new ArrayList<>();
        try {
            // keep-alive connections that had their answer; two take well under the idle timeout (3 s)
            await().atMost(Duration.ofSeconds(15)).until(() -> {
                Socket s = RawSockets.open(RestAssured.port, "GET /q/health/live HTTP/1.1\r\nHost: localhost\r\n\r\n");
                if (RawSockets.closedByServer(s)) {
                    s.close();
                    return true;
                }
                held.add(s);
                return false;
            });
            assertTrue(!held.isEmpty() && held.size() <= 2, "held " + held.size());
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
        assertFalse(held.isEmpty());
    }
}
