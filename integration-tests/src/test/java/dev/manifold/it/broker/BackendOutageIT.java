package dev.manifold.it.broker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.manifold.it.support.BrokerConfigFile;
import dev.manifold.it.support.BrokerConfigFile.Server;
import dev.manifold.it.support.BrokerProcess;
import dev.manifold.it.support.ItEnvironment;
import dev.manifold.it.support.ProcessLogsOnFailure;
import dev.manifold.it.support.PrometheusText;
import dev.manifold.it.support.ServerEverything;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A backend that is down is left out of the aggregated list without failing any client request, and a backend that
 * comes up after the broker (the startup race of incident 05) joins on its own, with no restart and no config edit.
 * Health is runtime state only: the watched config file is never written. The broker runs with short probe and
 * backoff intervals so that recovery is observed within seconds.
 */
@ExtendWith(ProcessLogsOnFailure.class)
class BackendOutageIT {

    private static final Map<String, String> FAST_HEALTH = Map.of(
            "manifold.broker.probe-interval", "1s",
            "manifold.broker.backoff-initial", "200ms",
            "manifold.broker.backoff-max", "2s");

    private final Path logs = ItEnvironment.logDir("BackendOutageIT");
    private ServerEverything alpha;
    private ServerEverything beta;
    private BrokerProcess broker;

    @AfterEach
    void stopAll() {
        for (AutoCloseable c : new AutoCloseable[] {broker, beta, alpha}) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // each close already escalates to a forced kill
                }
            }
        }
    }

    @Test
    void backendStartedAfterTheBrokerJoinsAndOneThatStopsIsLeftOut() throws IOException {
        alpha = ServerEverything.start("alpha", logs);
        int betaPort = ItEnvironment.freePort(); // beta is configured but not running yet
        BrokerConfigFile config = new BrokerConfigFile(ItEnvironment.workDir("BackendOutageIT").resolve("config.yaml"));
        config.writeInPlace(BrokerConfigFile.yaml("always", List.of(
                Server.of("alpha", alpha.url(), "alpha_"),
                Server.of("beta", "http://127.0.0.1:" + betaPort + "/mcp", "beta_"))));
        byte[] configBytes = Files.readAllBytes(config.path());
        FileTime configModified = Files.getLastModifiedTime(config.path());
        broker = BrokerProcess.start("broker", config.path(), FAST_HEALTH, logs);

        // Down backend: left out, and the list request itself succeeds.
        await("alpha listed while beta is down").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                .until(() -> broker.client().listTools().toolNames().contains("alpha_echo"));
        Set<String> whileDown = broker.client().listTools().toolNames();
        assertTrue(whileDown.stream().noneMatch(n -> n.startsWith("beta_")), whileDown::toString);
        assertEquals(1.0, broker.metrics().require("manifold_broker_backends", Map.of("state", "ready")),
                "only alpha is ready");

        // Beta comes up on its configured port: it joins without a restart or a config edit.
        beta = ServerEverything.startOnPort("beta", betaPort, logs);
        await("beta joins after it comes up").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                .until(() -> broker.client().listTools().toolNames().contains("beta_echo"));
        assertEquals("Echo: late joiner", broker.client().call("beta_echo", "{\"message\":\"late joiner\"}")
                .callResult().at("/content/0/text").asText());
        double appliesBeforeOutage = broker.metrics().require("manifold_broker_config_applies_total");

        // Beta stops: it is left out again, and alpha keeps serving.
        beta.close();
        await("beta left out after it stops").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                .until(() -> broker.client().listTools().toolNames().stream().noneMatch(n -> n.startsWith("beta_")));
        assertEquals("Echo: still serving", broker.client().call("alpha_echo", "{\"message\":\"still serving\"}")
                .callResult().at("/content/0/text").asText());
        PrometheusText metrics = broker.metrics();
        assertEquals(appliesBeforeOutage, metrics.require("manifold_broker_config_applies_total"),
                "health changes never re-apply the config");
        assertTrue(broker.isReady(), "a backend outage does not make the broker unready");
        // Incident 04: health changes must never be written back into the watched file.
        assertArrayEquals(configBytes, Files.readAllBytes(config.path()), "the broker never writes its config file");
        assertEquals(configModified, Files.getLastModifiedTime(config.path()), "the config file is not touched");
    }
}
