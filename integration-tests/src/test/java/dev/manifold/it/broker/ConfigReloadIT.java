package dev.manifold.it.broker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.manifold.it.support.BrokerConfigFile;
import dev.manifold.it.support.BrokerConfigFile.Server;
import dev.manifold.it.support.BrokerProcess;
import dev.manifold.it.support.ItEnvironment;
import dev.manifold.it.support.McpClientCli;
import dev.manifold.it.support.ProcessLogsOnFailure;
import dev.manifold.it.support.PrometheusText;
import dev.manifold.it.support.ServerEverything;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The standalone config lifecycle of the packaged broker: the watched file is edited while the broker runs.
 * An added server is applied exactly once and leaves the other backends' connections alone; an invalid edit is
 * rejected with a log line naming the field, and the last good config stays in force. A connected client hears
 * about the change once (notifications/tools/list_changed on its GET stream).
 * Each test gets its own broker and config file; the three server-everything backends are shared.
 */
@ExtendWith(ProcessLogsOnFailure.class)
class ConfigReloadIT {

    private static final String APPLIES = "manifold_broker_config_applies_total";
    private static final String CONNECTS = "manifold_broker_backend_connects_total";
    private static final String BACKENDS = "manifold_broker_backends";
    private static final String REJECTED = "manifold_broker_config_rejected_total";
    /** The broker's default debounce is 500ms; a change must settle well within this window. */
    private static final Duration SETTLE = Duration.ofSeconds(3);

    private static Path logs;
    private static ServerEverything alpha;
    private static ServerEverything beta;
    private static ServerEverything gamma;

    private BrokerConfigFile config;
    private BrokerProcess broker;

    @BeforeAll
    static void startBackends() {
        logs = ItEnvironment.logDir("ConfigReloadIT");
        alpha = ServerEverything.start("alpha", logs);
        beta = ServerEverything.start("beta", logs);
        gamma = ServerEverything.start("gamma", logs);
    }

    @AfterAll
    static void stopBackends() {
        closeAll(gamma, beta, alpha);
    }

    @BeforeEach
    void startBrokerOnAlphaAndBeta(TestInfo test) {
        String name = test.getTestMethod().orElseThrow().getName();
        config = new BrokerConfigFile(ItEnvironment.workDir("ConfigReloadIT").resolve(name + ".yaml"));
        config.writeInPlace(BrokerConfigFile.yaml("always", List.of(alphaEntry(), betaEntry())));
        broker = BrokerProcess.start("broker-" + name, config.path(), Map.of(), logs);
        awaitBackendsConnected("alpha", "beta");
    }

    @AfterEach
    void stopBroker() {
        closeAll(broker);
    }

    @Test
    void addingAServerAppliesOnceAndLeavesTheOtherBackendsConnected() {
        PrometheusText before = broker.metrics();
        double applies = before.require(APPLIES);
        double alphaConnects = before.require(CONNECTS, Map.of("server", "alpha"));
        double betaConnects = before.require(CONNECTS, Map.of("server", "beta"));

        config.writeInPlace(BrokerConfigFile.yaml("always", List.of(alphaEntry(), betaEntry(), gammaEntry())));

        await("gamma's tools listed").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                .until(() -> broker.client().listTools().toolNames().contains("gamma_echo"));
        // The counts must reach their values and then hold them: one apply, no reconnect of untouched backends.
        await("exactly one apply, untouched backends not reconnected").atMost(SETTLE.multipliedBy(3))
                .during(SETTLE).pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> {
                    PrometheusText now = broker.metrics();
                    assertEquals(applies + 1, now.require(APPLIES), APPLIES);
                    assertEquals(alphaConnects, now.require(CONNECTS, Map.of("server", "alpha")), "alpha connects");
                    assertEquals(betaConnects, now.require(CONNECTS, Map.of("server", "beta")), "beta connects");
                });
        PrometheusText after = broker.metrics();
        assertTrue(after.require(CONNECTS, Map.of("server", "gamma")) >= 1, "gamma connected");
        await("three backends ready").atMost(Duration.ofSeconds(30))
                .until(() -> broker.metrics().require(BACKENDS, Map.of("state", "ready")), n -> n == 3.0);
        String env = broker.client().call("gamma_get-env", "{}").callResult().at("/content/0/text").asText();
        assertTrue(env.contains("\"" + ServerEverything.IDENTITY_VARIABLE + "\": \"gamma\""), env);
        assertEquals("Echo: after reload",
                broker.client().call("alpha_echo", "{\"message\":\"after reload\"}").callResult()
                        .at("/content/0/text").asText());
    }

    @Test
    void connectedClientIsToldExactlyOnceThatTheToolListChanged() {
        // A client with its GET stream open; after the first list_changed it keeps listening for 3s for duplicates.
        McpClientCli.Running watcher = broker.client().watchListChanged(SETTLE, Duration.ofSeconds(60))
                .awaitWatching();

        config.writeInPlace(BrokerConfigFile.yaml("always", List.of(alphaEntry(), betaEntry(), gammaEntry())));

        McpClientCli.Session session = watcher.finish();
        assertEquals(1, session.listChangedCount(), () -> "one coalesced list_changed: " + session);
        assertTrue(session.toolNames().contains("gamma_echo"),
                () -> "the list after the notification has gamma's tools: " + session.toolNames());
    }

    @Test
    void invalidEditIsRejectedAndTheLastGoodConfigStaysInForce() {
        Set<String> toolsBefore = broker.client().listTools().toolNames();
        PrometheusText before = broker.metrics();
        double applies = before.require(APPLIES);
        double rejected = before.require(REJECTED);
        // Drops beta and misspells a field: applying any part of it would remove beta's tools.
        String invalid = BrokerConfigFile.yaml("always", List.of(alphaEntry()))
                .replace("toolPrefix:", "toolPrefx:");

        config.replaceAtomically(invalid);

        // The misspelt key is on line 5 of the file (see BrokerConfigFile.yaml): the log names the field and line.
        await("the broker logs the rejected field and its line").atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> broker.process().logText().lines()
                        .anyMatch(l -> l.contains("toolPrefx") && l.contains("line 5")));
        await("the rejection is counted once").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                .until(() -> broker.metrics().require(REJECTED), n -> n == rejected + 1);
        await("the last good config stays in force").atMost(SETTLE.multipliedBy(3)).during(SETTLE)
                .pollInterval(Duration.ofMillis(250))
                .untilAsserted(() -> {
                    PrometheusText now = broker.metrics();
                    assertEquals(applies, now.require(APPLIES), APPLIES);
                    assertEquals(rejected + 1, now.require(REJECTED), REJECTED);
                    assertEquals(toolsBefore, broker.client().listTools().toolNames());
                });
        assertEquals("Echo: still here",
                broker.client().call("beta_echo", "{\"message\":\"still here\"}").callResult()
                        .at("/content/0/text").asText());
        assertTrue(broker.isReady(), "a rejected edit does not make the broker unready");

        // The watcher survives the bad file: the next valid edit is applied.
        config.replaceAtomically(BrokerConfigFile.yaml("always", List.of(alphaEntry(), betaEntry(), gammaEntry())));
        await("the next valid edit is applied").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                .until(() -> broker.client().listTools().toolNames().contains("gamma_echo"));
        assertEquals(applies + 1, broker.metrics().require(APPLIES), APPLIES);
    }

    private void awaitBackendsConnected(String... servers) {
        await("backends " + List.of(servers) + " connected and listed").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> {
                    PrometheusText metrics = broker.metrics();
                    Set<String> tools = broker.client().listTools().toolNames();
                    for (String server : servers) {
                        if (metrics.value(CONNECTS, Map.of("server", server)).orElse(0) < 1
                                || !tools.contains(server + "_echo")) {
                            return false;
                        }
                    }
                    return true;
                });
    }

    private static Server alphaEntry() {
        return Server.of("alpha", alpha.url(), "alpha_");
    }

    private static Server betaEntry() {
        return Server.of("beta", beta.url(), "beta_");
    }

    private static Server gammaEntry() {
        return Server.of("gamma", gamma.url(), "gamma_");
    }

    private static void closeAll(AutoCloseable... closeables) {
        for (AutoCloseable c : closeables) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // each close already escalates to a forced kill
                }
            }
        }
    }
}
