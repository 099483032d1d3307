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
import dev.manifold.it.support.ServerEverything;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The prefix modes other than {@code always}, on two real server-everything backends that expose the same tool
 * names: {@code never} keeps exactly one tool per colliding name, deterministically the one of the smaller server
 * id, and counts the dropped ones; {@code conditional} prefixes only the names that collide.
 */
@ExtendWith(ProcessLogsOnFailure.class)
class PrefixModesIT {

    private static Path logs;
    private static ServerEverything alpha;
    private static ServerEverything beta;
    private static Set<String> backendTools;

    private BrokerProcess broker;

    @BeforeAll
    static void startBackends() {
        logs = ItEnvironment.logDir("PrefixModesIT");
        alpha = ServerEverything.start("alpha", logs);
        beta = ServerEverything.start("beta", logs);
        backendTools = new McpClientCli(alpha.url()).withCapabilities(McpClientCli.BROKER_DISCOVERY_CAPABILITIES).listTools().toolNames();
    }

    @AfterAll
    static void stopBackends() {
        closeQuietly(beta);
        closeQuietly(alpha);
    }

    @AfterEach
    void stopBroker() {
        closeQuietly(broker);
    }

    @Test
    void neverModeKeepsTheSmallerServerIdsToolOnEveryCollisionAndCountsTheRest(TestInfo test) {
        // beta is listed first on purpose: the winner must not depend on the order in the file.
        broker = startBroker(test, "never", List.of(Server.of("beta", beta.url(), "beta_"),
                Server.of("alpha", alpha.url(), "alpha_")));
        awaitToolCount(backendTools.size());
        await("every collision counted").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                .until(() -> broker.metrics().value("manifold_broker_tools_dropped_total",
                        Map.of("reason", "collision")).orElse(0), n -> n >= backendTools.size());

        assertEquals(backendTools, broker.client().listTools().toolNames(), "unprefixed, one per name");
        String env = broker.client().call("get-env", "{}").callResult().at("/content/0/text").asText();
        assertTrue(env.contains("\"" + ServerEverything.IDENTITY_VARIABLE + "\": \"alpha\""),
                "get-env is alpha's (the smaller id): " + env);
        assertEquals(backendTools.size(), broker.metrics().require("manifold_broker_tools_dropped_total",
                Map.of("reason", "collision")), "each of beta's tools is dropped once");
        assertEquals(backendTools.size(), broker.metrics().require("manifold_broker_tools"), "tools served");
        // The two servers are the same program: every prompt and resource of beta loses its name to alpha's.
        for (String kind : List.of("prompt", "resource", "resource_template")) {
            await(kind + " collisions counted").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                    .until(() -> broker.metrics().value("manifold_broker_features_dropped_total",
                            Map.of("kind", kind, "reason", "collision")).orElse(0), n -> n >= 1);
        }
    }

    @Test
    void conditionalModePrefixesOnlyTheNamesThatCollide(TestInfo test) {
        // alpha exposes everything but echo; beta only echo and get-sum: get-sum is the one collision.
        broker = startBroker(test, "conditional", List.of(
                Server.of("alpha", alpha.url(), "alpha_").withFilter(List.of(), List.of("echo")),
                Server.of("beta", beta.url(), "beta_").withFilter(List.of("echo", "get-sum"), List.of())));
        Set<String> expected = new TreeSet<>();
        backendTools.stream().filter(n -> !n.equals("echo") && !n.equals("get-sum")).forEach(expected::add);
        expected.addAll(List.of("echo", "alpha_get-sum", "beta_get-sum"));
        awaitToolCount(expected.size());

        assertEquals(expected, broker.client().listTools().toolNames());
        String env = broker.client().call("get-env", "{}").callResult().at("/content/0/text").asText();
        assertTrue(env.contains("\"" + ServerEverything.IDENTITY_VARIABLE + "\": \"alpha\""), env);
        assertEquals("Echo: unprefixed", broker.client().call("echo", "{\"message\":\"unprefixed\"}")
                .callResult().at("/content/0/text").asText());
        assertEquals("The sum of 2 and 3 is 5.", broker.client().call("beta_get-sum", "{\"a\":2,\"b\":3}")
                .callResult().at("/content/0/text").asText());
    }

    private BrokerProcess startBroker(TestInfo test, String prefixMode, List<Server> servers) {
        String name = test.getTestMethod().orElseThrow().getName();
        BrokerConfigFile config = new BrokerConfigFile(ItEnvironment.workDir("PrefixModesIT").resolve(name + ".yaml"));
        config.writeInPlace(BrokerConfigFile.yaml(prefixMode, servers));
        return BrokerProcess.start("broker-" + name, config.path(), Map.of(), logs);
    }

    /** Waits until both backends are ready and the broker serves {@code count} tools. */
    private void awaitToolCount(int count) {
        await("both backends ready and " + count + " tools served").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> broker.metrics().value("manifold_broker_backends", Map.of("state", "ready")).orElse(0)
                        == 2.0 && broker.client().listTools().toolNames().size() == count);
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception ignored) {
                // each close already escalates to a forced kill
            }
        }
    }
}
