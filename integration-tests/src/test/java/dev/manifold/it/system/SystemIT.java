package dev.manifold.it.system;

import static dev.manifold.it.system.ManifoldSystem.appliedVersion;
import static dev.manifold.it.system.ManifoldSystem.tools;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.manifold.broker.testing.FixtureMcpServer;
import dev.manifold.it.support.ItEnvironment;
import dev.manifold.it.support.ManagedProcess;
import dev.manifold.it.support.McpClientCli;
import dev.manifold.it.support.ProcessLogsOnFailure;
import dev.manifold.it.support.RawMcpSession;
import dev.manifold.it.support.ServerEverything;
import io.fabric8.kubernetes.api.model.Event;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The whole path as one system: MCPServer → controller → broker → proxy-runner → pod, with every service a real
 * process on one fake cluster ({@link ManifoldSystem}). Each scenario acts the way a user does (apply and delete
 * MCPServers, run MCP clients, kill processes) and asserts only what a user can see: what MCP clients get, the
 * services' /q/metrics, MCPServer status and Events, and the Redis keys the services publish. The system is shared
 * and emptied between scenarios; the scenario that kills processes runs last.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(ProcessLogsOnFailure.class)
class SystemIT {

    /** Seed 1: how long the system must stay silent after converging. */
    static final Duration QUIET_WINDOW = Duration.ofSeconds(60);
    /** Propagation bound the test asserts (the goal, < 1 s p99, is for the benchmark to report). */
    static final Duration PROPAGATION_BOUND = Duration.ofSeconds(3);
    /** Seed 4: how long after its MCPServer a server's process comes up. */
    static final Duration LATE_START = Duration.ofSeconds(10);
    static final String NS = "mcp";

    static final String API_WRITES = "manifold_controller_api_writes_total";
    static final String PUBLISHES = "manifold_controller_config_publishes_total";
    static final String APPLIES = "manifold_broker_config_applies_total";
    static final String CONNECTS = "manifold_broker_backend_connects_total";
    static final String REINITIALIZATIONS = "manifold_proxy_reinitializations_total";

    private static final Pattern POD_NAME = Pattern.compile("POD_NAME\\W+([A-Za-z0-9-]+)");

    static ManifoldSystem system;
    static FakeCluster cluster;
    static Path logDir;
    static ServerEverything sharedBackend;
    static Vertx vertx;

    @BeforeAll
    static void startSystem() {
        logDir = ItEnvironment.logDir(SystemIT.class.getSimpleName());
        system = ManifoldSystem.start(logDir);
        cluster = system.cluster();
        sharedBackend = ServerEverything.start("url-backend", logDir);
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stopSystem() {
        if (system != null) {
            system.close();
        }
        if (sharedBackend != null) {
            sharedBackend.close();
        }
        if (vertx != null) {
            vertx.close();
        }
    }

    @AfterEach
    void emptyTheSystem() {
        system.reset();
    }

    // ---------------------------------------------------------------- seed 1

    @Test
    @Order(1)
    void twoServersOnOneHttpRouteAreServedThenTheSystemIsSilent() {
        String address = cluster.allocateAddress();
        int port = ItEnvironment.freePort();
        try (PodProcess backend = PodProcess.start("route-backend", address, port, Map.of(), logDir)) {
            cluster.hosts().map("route-backend." + NS + ".svc.cluster.local", address);
            cluster.create("""
                    apiVersion: v1
                    kind: Service
                    metadata: {name: route-backend, namespace: %s}
                    spec:
                      selector: {app: route-backend}
                      ports: [{name: http, port: %d}]
                    """.formatted(NS, port));
            cluster.create("""
                    apiVersion: gateway.networking.k8s.io/v1
                    kind: HTTPRoute
                    metadata: {name: shared-route, namespace: %s}
                    spec:
                      parentRefs: [{name: mcp-gateway, namespace: gateway-system}]
                      rules: [{backendRefs: [{name: route-backend, port: %d}]}]
                    """.formatted(NS, port));
            cluster.create(routeServer("seed1-a", "s1a_", "shared-route"));
            cluster.create(routeServer("seed1-b", "s1b_", "shared-route"));

            await("both MCPServers Accepted and Ready").atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(250)).until(() ->
                            Stream2.allTrue(List.of("seed1-a", "seed1-b"), n -> cluster.conditionTrue(NS, n, "Accepted")
                                    && cluster.conditionTrue(NS, n, "Ready")));
            for (ServiceProcess broker : system.brokers()) {
                TreeSet<String> names = new McpClientCli(broker.mcpUrl()).listTools().toolNames();
                assertTrue(names.contains("s1a_echo") && names.contains("s1a_get-env"), broker.name() + ": " + names);
                assertEquals(unprefixed(names, "s1a_"), unprefixed(names, "s1b_"),
                        broker.name() + " lists the same tool set under both prefixes: " + names);
            }
            String version = system.publishedVersion();
            await("both brokers on " + version).atMost(Duration.ofSeconds(20))
                    .until(() -> system.brokers().stream().allMatch(b -> version.equals(appliedVersion(b))));

            Map<String, Double> before = writeCounters();
            await("a silent system for " + QUIET_WINDOW.toSeconds() + " s (counters at the start: " + before + ")")
                    .during(QUIET_WINDOW).atMost(QUIET_WINDOW.plusSeconds(10)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> writeCounters().equals(before));
            assertEquals(version, system.publishedVersion());
            assertTrue(backend.isAlive());
        }
    }

    private static Set<String> unprefixed(Set<String> names, String prefix) {
        return names.stream().filter(n -> n.startsWith(prefix)).map(n -> n.substring(prefix.length()))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** Every counter that must not move at steady state, per service. */
    private static Map<String, Double> writeCounters() {
        Map<String, Double> counters = new LinkedHashMap<>();
        counters.put("controller " + API_WRITES, system.controller().metric(API_WRITES));
        counters.put("controller " + PUBLISHES, system.controller().metric(PUBLISHES));
        for (ServiceProcess broker : system.brokers()) {
            counters.put(broker.name() + " " + APPLIES, broker.metric(APPLIES));
            counters.put(broker.name() + " " + CONNECTS, broker.metric(CONNECTS));
        }
        return counters;
    }

    private static String routeServer(String name, String prefix, String route) {
        return """
                apiVersion: mcp.manifold.dev/v1alpha1
                kind: MCPServer
                metadata: {name: %s, namespace: %s}
                spec:
                  toolPrefix: %s
                  targetRef: {group: gateway.networking.k8s.io, kind: HTTPRoute, name: %s}
                """.formatted(name, NS, prefix, route);
    }

    private static String urlServer(String name, String prefix, String url) {
        return """
                apiVersion: mcp.manifold.dev/v1alpha1
                kind: MCPServer
                metadata: {name: %s, namespace: %s}
                spec:
                  toolPrefix: %s
                  url: "%s"
                """.formatted(name, NS, prefix, url);
    }

    /** Small stream helper kept local: all of {@code items} satisfy {@code test}. */
    private static final class Stream2 {
        static <T> boolean allTrue(List<T> items, java.util.function.Predicate<T> test) {
            return items.stream().allMatch(test);
        }
    }
}
