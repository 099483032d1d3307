package dev.manifold.it.broker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.manifold.it.support.BrokerConfigFile;
import dev.manifold.it.support.BrokerConfigFile.Server;
import dev.manifold.it.support.BrokerProcess;
import dev.manifold.it.support.ItEnvironment;
import dev.manifold.it.support.PrometheusText;
import dev.manifold.it.support.ProcessLogsOnFailure;
import dev.manifold.runtime.testing.FixtureMcpServer;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Seed scenario 3 (MCPProxy's reload loop, where 9 of 159 servers came up in 10 minutes): the packaged broker with
 * 159 configured backends, 106 real and 53 unreachable. The real ones are four light Java MCP servers
 * ({@code FixtureMcpServer}, stateful, paged tools/list) hosted in this test JVM behind 106 names: four node
 * server-everything processes on this 2-core machine cannot answer 106 concurrent handshakes within the connect
 * timeout, which would measure node's CPU rather than the broker.
 * Every backend reaches a final state within the connect timeout + 5 s, the config is applied exactly once, and
 * nothing re-applies in the following 60 s.
 */
@ExtendWith(ProcessLogsOnFailure.class)
class ManyBackendsIT {
    static final int REAL = 106;
    static final int UNREACHABLE = 53;
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

    private static final List<FixtureMcpServer> processes = new ArrayList<>();
    private static Vertx vertx;
    private static BrokerProcess broker;
    private static long readyAtNanos;

    @BeforeAll
    static void start() {
        Path logs = ItEnvironment.logDir("ManyBackendsIT");
        vertx = Vertx.vertx();
        List<String> tools = java.util.stream.IntStream.range(0, 12).mapToObj(i -> "tool_" + i).toList();
        for (int i = 0; i < 4; i++) {
            processes.add(new FixtureMcpServer(vertx, "fixture-" + i, tools, i % 2 == 1).start());
        }
        List<Server> servers = new ArrayList<>();
        for (int i = 0; i < REAL; i++) {
            servers.add(Server.of(String.format("real-%03d", i), processes.get(i % processes.size()).url(), String.format("r%03d_", i)));
        }
        for (int i = 0; i < UNREACHABLE; i++) {
            servers.add(Server.of(String.format("gone-%03d", i), "http://127.0.0.1:" + ItEnvironment.freePort() + "/mcp", String.format("g%03d_", i)));
        }
        BrokerConfigFile config = new BrokerConfigFile(ItEnvironment.workDir("ManyBackendsIT").resolve("159.yaml"));
        config.writeInPlace(BrokerConfigFile.yaml("always", servers));
        broker = BrokerProcess.start("broker", config.path(),
                Map.of("manifold.broker.connect-timeout", CONNECT_TIMEOUT.toMillis() + "ms"), logs);
        readyAtNanos = System.nanoTime(); // ready = the config is applied; connects run from here
    }

    @AfterAll
    static void stop() {
        if (broker != null) {
            broker.close();
        }
        processes.forEach(FixtureMcpServer::close);
        if (vertx != null) {
            vertx.close();
        }
    }

    private static double backends(PrometheusText metrics, String state) {
        return metrics.require("manifold_broker_backends", Map.of("state", state));
    }

    @Test
    void every159thBackendReachesAFinalStateFastAndTheConfigIsAppliedOnceAndNeverAgain() {
        await("all 159 backends in a final state").atMost(CONNECT_TIMEOUT.plusSeconds(5)).pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    PrometheusText m = broker.metrics();
                    return backends(m, "pending") == 0 && backends(m, "ready") == REAL
                            && backends(m, "unhealthy") + backends(m, "quarantined") == UNREACHABLE;
                });
        long finalMs = (System.nanoTime() - readyAtNanos) / 1_000_000;
        System.out.printf("ManyBackendsIT: 159 backends in a final state %d ms after the config was applied%n", finalMs);
        assertEquals(1.0, broker.metrics().require("manifold_broker_config_applies_total"));

        await("no re-apply for 60 s").during(Duration.ofSeconds(60)).atMost(Duration.ofSeconds(70)).pollInterval(Duration.ofSeconds(1))
                .until(() -> broker.metrics().require("manifold_broker_config_applies_total") == 1.0);
        PrometheusText after = broker.metrics();
        assertEquals(REAL, backends(after, "ready"), "the real backends stayed ready");
        assertTrue(after.require("manifold_broker_tools") > REAL * 10, "their tools are served");
    }
}
