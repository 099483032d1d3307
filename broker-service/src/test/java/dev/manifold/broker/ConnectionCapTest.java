package dev.manifold.broker;

import dev.manifold.broker.testing.FixtureBackends;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Finding 5 of the abuse probe: the broker holds at most quarkus.http.limits.max-connections connections; one more
 * is closed as it is accepted, and once one of the held connections ends a new one is served.
 */
@QuarkusTest
@TestProfile(ConnectionCapTest.FewConnections.class)
@WithTestResource(FixtureBackends.class)
class ConnectionCapTest {

    public static class FewConnections implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.http.limits.max-connections", "4");
        }
    }

    @Test
    void aConnectionBeyondTheCapIsClosedAndServedOnceOneEnds() throws IOException {
        List<Socket> held = new ArrayList<>();
        try {
            await().atMost(Duration.ofSeconds(15)).until(() -> {
                // the test's own HTTP client may still hold a keep-alive connection: fill whatever room is left
                // a keep-alive connection that has had its answer and stays open
                Socket s = RawSockets.open(RestAssured.port, "GET /q/health/live HTTP/1.1\r\nHost: localhost\r\n\r\n");
                if (RawSockets.closedByServer(s)) {
                    s.close();
                    return true;
                }
                held.add(s);
                return false;
            });
            assertTrue(held.size() <= 4 && !held.isEmpty(), "held " + held.size());
            Socket extra = RawSockets.open(RestAssured.port, "GET /q/health/live HTTP/1.1\r\nHost: localhost\r\n\r\n");
            assertTrue(RawSockets.closedByServer(extra), "a connection beyond the cap is closed");
            extra.close();
            for (Socket s : held) {
                assertFalse(RawSockets.closedByServer(s), "the held connections stay open");
            }

            held.remove(0).close();
            await().atMost(Duration.ofSeconds(15)).until(() -> {
                try (Socket again = RawSockets.open(RestAssured.port, "GET /q/health/live HTTP/1.1\r\nHost: localhost\r\n\r\n")) {
                    return RawSockets.readFor(again, 500).startsWith("HTTP/1.1 200");
                }
            });
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
    }
}
