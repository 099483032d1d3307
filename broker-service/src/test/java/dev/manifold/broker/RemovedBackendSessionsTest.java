package dev.manifold.broker;

import dev.manifold.broker.testing.FixtureBackends;
import dev.manifold.runtime.testing.FixtureMcpServer;
import dev.manifold.broker.testing.McpClient;
import dev.manifold.runtime.testing.SseClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.nio.file.Files;
import java.time.Duration;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A config change that removes or replaces a backend closes the client sessions' backend sessions with it: their
 * GET streams are cancelled and the backend gets a DELETE for each; the session goes on with the other backends,
 * and a replaced backend gets a new session on the next call.
 */
@QuarkusTest
@WithTestResource(FixtureBackends.class)
class RemovedBackendSessionsTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TestHTTPResource("/mcp")
    URL mcpUrl;

    @BeforeEach
    void setUp() throws Exception {
        FixtureBackends.restoreBaseConfig();
    }

    @AfterEach
    void tearDown() throws Exception {
        FixtureBackends.restoreBaseConfig();
    }

    @Test
    void aRemovedBackendsClientSessionsAreDeletedAndTheirStreamsClosed() throws Exception {
        FixtureMcpServer alpha = FixtureBackends.alpha;
        FixtureMcpServer beta = FixtureBackends.beta;
        McpClient client = McpClient.initialize();
        try (SseClient stream = SseClient.get(mcpUrl.toURI(), client.sessionId(), null)) {
            assertEquals(200, stream.status());
            client.call("alpha_echo", "before").then().statusCode(200).body(containsString("echo from alpha: before"));
            client.call("beta_get_time", "before").then().statusCode(200).body(containsString("get_time from beta: before"));
            String alphaSid = alpha.lastCallSession("echo");
            String betaSid = beta.lastCallSession("get_time");
            assertNotNull(alphaSid);
            assertNotNull(betaSid);
            await().atMost(WAIT).until(() -> alpha.streamOpen(alphaSid) && beta.streamOpen(betaSid));

            Files.writeString(FixtureBackends.configFile, withoutAlpha());

            // alpha: the client's backend session is DELETEd and its GET stream closed
            await().atMost(WAIT).until(() -> alpha.deletedSessions().contains(alphaSid));
            await().atMost(WAIT).until(() -> !alpha.streamOpen(alphaSid));
            assertFalse(McpClient.initialize().toolNames().stream().anyMatch(n -> n.startsWith("alpha_")));

            // beta: the same session goes on, over the same backend session and stream
            client.call("beta_get_time", "after").then().statusCode(200).body(containsString("get_time from beta: after"));
            assertEquals(betaSid, beta.lastCallSession("get_time"));
            assertTrue(beta.streamOpen(betaSid));
            assertFalse(beta.deletedSessions().contains(betaSid));
            assertFalse(stream.ended());
        }
    }

    @Test
    void aReplacedBackendsClientSessionsAreClosedAndReopenedOnTheNextCall() throws Exception {
        FixtureMcpServer alpha = FixtureBackends.alpha;
        McpClient client = McpClient.initialize();
        try (SseClient stream = SseClient.get(mcpUrl.toURI(), client.sessionId(), null)) {
            assertEquals(200, stream.status());
            client.call("alpha_echo", "before").then().statusCode(200).body(containsString("echo from alpha: before"));
            String oldSid = alpha.lastCallSession("echo");
            assertNotNull(oldSid);
            await().atMost(WAIT).until(() -> alpha.streamOpen(oldSid));

            // a changed entry (here its prefix) replaces the backend
            String changed = FixtureBackends.baseConfig().replace("toolPrefix: alpha_", "toolPrefix: alpha2_");
            assertNotEquals(FixtureBackends.baseConfig(), changed);
            Files.writeString(FixtureBackends.configFile, changed);

            await().atMost(WAIT).until(() -> alpha.deletedSessions().contains(oldSid));
            await().atMost(WAIT).until(() -> !alpha.streamOpen(oldSid));
            await().atMost(WAIT).until(() -> McpClient.initialize().toolNames().contains("alpha2_echo"));

            client.call("alpha2_echo", "after").then().statusCode(200).body(containsString("echo from alpha: after"));
            String newSid = alpha.lastCallSession("echo");
            assertNotEquals(oldSid, newSid);
            await().atMost(WAIT).until(() -> alpha.streamOpen(newSid));
        }
    }

    private static String withoutAlpha() {
        String base = FixtureBackends.baseConfig();
        String alphaEntry = """
                  - name: alpha
                    url: %s
                    toolPrefix: alpha_
                """.formatted(FixtureBackends.alpha.url());
        assertTrue(base.contains(alphaEntry), base);
        return base.replace(alphaEntry, "");
    }
}
