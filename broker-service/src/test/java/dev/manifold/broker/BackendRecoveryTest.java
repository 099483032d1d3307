package dev.manifold.broker;

import dev.manifold.broker.testing.LateBackends;
import dev.manifold.broker.testing.McpClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.net.URL;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seed scenario 4 (ToolHive #4278 must not happen here): backends that were down when the broker started become
 * Ready within one probe interval of becoming reachable, clients hear one coalesced list_changed, a killed and
 * restarted backend recovers again, and a flapping backend disturbs nothing else.
 */
@QuarkusTest
@WithTestResource(LateBackends.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BackendRecoveryTest {
    private static final long PROBE_INTERVAL_MS = 1000;

    @TestHTTPResource("/mcp")
    URL mcp;

    private Vertx vertx;
    private HttpClient http;

    @BeforeEach
    void setUp() {
        vertx = Vertx.vertx();
        http = vertx.createHttpClient();
    }

    @AfterEach
    void tearDown() {
        http.close();
        vertx.close();
    }

    /** Opens the session's GET stream and counts list_changed notifications arriving on it. */
    private AtomicInteger listChangedCounter(McpClient client) throws Exception {
        AtomicInteger count = new AtomicInteger();
        AtomicInteger opened = new AtomicInteger();
        HttpClientResponse response = http.request(new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(mcp.toString())
                        .putHeader("Accept", "text/event-stream").putHeader("Mcp-Session-Id", client.sessionId()))
                .compose(r -> r.send().onSuccess(resp -> resp.handler(chunk -> { // set on the event loop: no chunk is missed
                    String text = chunk.toString();
                    opened.incrementAndGet();
                    int from = 0;
                    while ((from = text.indexOf("notifications/tools/list_changed", from)) >= 0) {
                        count.incrementAndGet();
                        from++;
                    }
                })))
                .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertEquals(200, response.statusCode());
        await().atMost(Duration.ofSeconds(10)).until(() -> opened.get() > 0);
        return count;
    }

    @Test
    @Order(1)
    void backendsDownAtStartupBecomeReadyWithinOneProbeIntervalAndClientsHearOneListChanged() throws Exception {
        await().atMost(Duration.ofSeconds(30)).until(() -> McpClient.initialize().toolNames().equals(List.of("steady_hold")));
        McpClient client = McpClient.initialize();
        AtomicInteger listChanged = listChangedCounter(client);
        // the start-up window (steady becoming ready) may still be open: wait until a whole window passes with no
        // notification, then count from zero
        long[] lastSeen = {System.nanoTime(), listChanged.get()};
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            if (listChanged.get() != lastSeen[1]) {
                lastSeen[0] = System.nanoTime();
                lastSeen[1] = listChanged.get();
            }
            return System.nanoTime() - lastSeen[0] > Duration.ofMillis(4500).toNanos();
        });
        listChanged.set(0);

        long started = System.nanoTime();
        LateBackends.alpha.start();
        LateBackends.beta.start();
        List<String> all = List.of("alpha_echo", "alpha_get_weather", "beta_echo", "beta_get_time", "steady_hold");
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> client.toolNames().equals(all));
        long readyMs = (System.nanoTime() - started) / 1_000_000;
        assertTrue(readyMs <= PROBE_INTERVAL_MS + 1500, "Ready " + readyMs + " ms after the backends came up");

        // both arrivals fall in one 4 s coalescing window: exactly one notification, and no more after it
        await().atMost(Duration.ofSeconds(10)).until(() -> listChanged.get() >= 1);
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() -> listChanged.get() == 1);
    }

    @Test
    @Order(2)
    void aKilledBackendLeavesTheListAndComesBackAfterARestartOnTheSamePort() {
        LateBackends.alpha.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> McpClient.initialize().toolNames().contains("alpha_echo"));

        LateBackends.alpha.stop();
        await().atMost(Duration.ofSeconds(10)).until(() -> !McpClient.initialize().toolNames().contains("alpha_echo"));

        long restarted = System.nanoTime();
        LateBackends.alpha.start();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .until(() -> McpClient.initialize().toolNames().contains("alpha_echo"));
        long readyMs = (System.nanoTime() - restarted) / 1_000_000;
        assertTrue(readyMs <= PROBE_INTERVAL_MS + 1500, "Ready " + readyMs + " ms after the restart");
        McpClient.initialize().call("alpha_echo", "back").then().statusCode(200)
                .body("result.content[0].text", org.hamcrest.Matchers.equalTo("echo from alpha: back"));
    }

    @Test
    @Order(3)
    void aFlappingBackendCausesNoConfigAppliesAndNoReconnectsOfOthers() {
        LateBackends.beta.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> McpClient.initialize().toolNames().contains("beta_echo"));
        double applies = ConfigReloadTest.metric("manifold_broker_config_applies_total");
        double steadyConnects = ConfigReloadTest.metric("manifold_broker_backend_connects_total{server=\"steady\"}");
        double betaConnects = ConfigReloadTest.metric("manifold_broker_backend_connects_total{server=\"beta\"}");

        LateBackends.beta.flapping(true); // every other probe fails
        try {
            await().during(Duration.ofSeconds(15)).atMost(Duration.ofSeconds(20)).until(() ->
                    ConfigReloadTest.metric("manifold_broker_config_applies_total") == applies
                            && ConfigReloadTest.metric("manifold_broker_backend_connects_total{server=\"steady\"}") == steadyConnects);
        } finally {
            LateBackends.beta.flapping(false);
        }
        assertTrue(ConfigReloadTest.metric("manifold_broker_backend_connects_total{server=\"beta\"}") >= betaConnects + 3,
                "the flapping backend was really failing and reconnecting");
        await().atMost(Duration.ofSeconds(10)).until(() -> McpClient.initialize().toolNames().contains("beta_echo"));
    }

    @Test
    @Order(4)
    void aBackendsOwnListChangedReachesClientsAndItsNewToolIsServed() throws Exception {
        await().atMost(Duration.ofSeconds(10)).until(() -> LateBackends.steady.openStreams() > 0);
        McpClient client = McpClient.initialize();
        AtomicInteger listChanged = listChangedCounter(client);

        LateBackends.steady.changeTools(List.of("hold", "fresh"));

        await().atMost(Duration.ofSeconds(10)).until(() -> client.toolNames().contains("steady_fresh"));
        await().atMost(Duration.ofSeconds(10)).until(() -> listChanged.get() == 1);
        client.call("steady_fresh", "new").then().statusCode(200)
                .body("result.content[0].text", org.hamcrest.Matchers.equalTo("fresh from steady: new"));
    }

    @Test
    @Order(5)
    void aRestartedBackendThatAnswers400ForUnknownSessionsIsReinitializedToo() {
        McpClient client = McpClient.initialize();
        client.call("steady_hold", "before").then().statusCode(200).body("result.isError", org.hamcrest.Matchers.equalTo(false));

        LateBackends.steady.unknownSessionAs400(true); // like TypeScript-SDK servers
        LateBackends.steady.stop();
        // the old connections may hold the port for a moment: start as soon as it binds
        await().atMost(Duration.ofSeconds(20)).ignoreExceptionsInstanceOf(IllegalStateException.class)
                .until(() -> LateBackends.steady.start() != null);
        // a probe may have caught it down; wait until it is served again, then use the old client session
        await().atMost(Duration.ofSeconds(10)).until(() -> McpClient.initialize().toolNames().contains("steady_hold"));
        try {
            client.call("steady_hold", "after").then().statusCode(200)
                    .body("result.content[0].text", org.hamcrest.Matchers.equalTo("hold from steady: after"));
        } finally {
            LateBackends.steady.unknownSessionAs400(false);
        }
    }
}
