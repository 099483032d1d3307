package dev.manifold.it.system;

import com.fasterxml.jackson.databind.JsonNode;

import static dev.manifold.it.system.ManifoldSystem.appliedVersion;
import static dev.manifold.it.system.ManifoldSystem.tools;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.manifold.runtime.testing.FixtureMcpServer;
import dev.manifold.runtime.testing.TestTokenEndpoint;
import dev.manifold.it.support.ItEnvironment;
import dev.manifold.it.support.PrometheusText;
import dev.manifold.it.support.McpClientCli;
import dev.manifold.it.support.ProcessLogsOnFailure;
import dev.manifold.it.support.RawMcpSession;
import dev.manifold.it.support.ServerEverything;
import io.fabric8.kubernetes.api.model.Event;
import io.vertx.core.Vertx;
import java.nio.file.Files;
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
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
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
                    .pollInterval(Duration.ofMillis(250)).until(() -> Stream.of("seed1-a", "seed1-b")
                            .allMatch(n -> cluster.conditionTrue(NS, n, "Accepted") && cluster.conditionTrue(NS, n, "Ready")));
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
            // Silent, not broken: both prefixes still answer.
            for (String tool : List.of("s1a_echo", "s1b_echo")) {
                McpClientCli.Session call = new McpClientCli(system.brokerA().mcpUrl()).call(tool, "{\"message\":\"quiet\"}");
                call.requireOk();
                assertTrue(call.callResult().toString().contains("quiet"), call.toString());
            }
        }
    }

    private static Set<String> unprefixed(Set<String> names, String prefix) {
        return names.stream().filter(n -> n.startsWith(prefix)).map(n -> n.substring(prefix.length()))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    // ---------------------------------------------------------------- seed 2

    @Test
    @Order(2)
    void fiveServersInAnyOrderEndOnTheSameVersionAndEachVersionIsAppliedOnce() {
        List<String> names = List.of("oci-registry", "osv", "context7", "fetch", "mcp-optimizer");
        long seed = System.nanoTime();
        Random random = new Random(seed);
        List<String> finalVersions = new ArrayList<>();
        try (ConfigChangeLog changes = new ConfigChangeLog(cluster, ManifoldSystem.REDIS_PREFIX, "config-changed-seed2",
                logDir)) {
            for (int round = 0; round < 5; round++) {
                List<String> order = new ArrayList<>(names);
                Collections.shuffle(order, random);
                int announcedBefore = changes.versions().size();
                double publishesBefore = system.controller().metric(PUBLISHES);
                Map<String, Double> appliesBefore = new HashMap<>();
                system.brokers().forEach(b -> appliesBefore.put(b.name(), b.metric(APPLIES)));

                for (String name : order) {
                    cluster.create(urlServer(name, name.replace("-", "") + "_", sharedBackend.url()));
                }
                String context = "round " + round + " (order " + order + ", seed " + seed + ")";
                await(context + ": five servers published and applied by both brokers").atMost(Duration.ofSeconds(30))
                        .pollInterval(Duration.ofMillis(200)).until(() -> system.publishedServers().size() == 5
                                && system.brokers().stream().allMatch(b ->
                                system.publishedVersion().equals(appliedVersion(b))));
                String version = system.publishedVersion();
                for (ServiceProcess broker : system.brokers()) {
                    TreeSet<String> tools = new McpClientCli(broker.mcpUrl()).listTools().toolNames();
                    for (String name : names) {
                        assertTrue(tools.contains(name.replace("-", "") + "_echo"), context + ": " + broker.name()
                                + " does not list " + name + "'s tools: " + tools);
                    }
                }
                finalVersions.add(version);

                List<String> announced = changes.versions().subList(announcedBefore, changes.versions().size());
                double published = system.controller().metric(PUBLISHES) - publishesBefore;
                assertEquals(new java.util.LinkedHashSet<>(announced).size(), announced.size(),
                        context + ": a version was announced twice: " + announced);
                assertEquals(announced.size(), (int) published, context + ": publishes " + published
                        + " vs versions announced " + announced);
                for (ServiceProcess broker : system.brokers()) {
                    double applied = broker.metric(APPLIES) - appliesBefore.get(broker.name());
                    assertTrue(applied >= 1 && applied <= announced.size(), context + ": " + broker.name()
                            + " applied " + applied + " configs for " + announced.size() + " distinct versions");
                }
                system.reset();
            }
        }
        assertEquals(1, new TreeSet<>(finalVersions).size(), "every order ends on one version: " + finalVersions);
    }

    // ---------------------------------------------------------------- prefix conflict

    @Test
    @Order(3)
    void theLoserOfAPrefixIsInConflictAndItsToolsAreNeverListed() {
        assertLaterServerLosesThePrefix("conflict-a", "conflict-b");
        system.reset();
        assertLaterServerLosesThePrefix("conflict-b", "conflict-a");
    }

    private void assertLaterServerLosesThePrefix(String first, String second) {
        FixtureMcpServer winnerBackend = new FixtureMcpServer(vertx, first, List.of("from_" + first.replace("-", "_")),
                false).start();
        FixtureMcpServer loserBackend = new FixtureMcpServer(vertx, second, List.of("from_" + second.replace("-", "_")),
                false).start();
        String loserTool = "dup_from_" + second.replace("-", "_");
        String winnerTool = "dup_from_" + first.replace("-", "_");
        Set<String> seenByClients = ConcurrentHashMap.newKeySet();
        AtomicBoolean watching = new AtomicBoolean(true);
        Thread watcher = new Thread(() -> {
            while (watching.get()) {
                system.brokers().forEach(b -> seenByClients.addAll(tools(b)));
            }
        }, "conflict-watcher");
        watcher.start();
        try {
            cluster.create(urlServer(first, "dup_", winnerBackend.url()));
            await(first + " Accepted").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                    .until(() -> cluster.conditionTrue(NS, first, "Accepted"));
            // The winner is the earliest creationTimestamp (seconds): create the second one a second later.
            Instant created = Instant.parse(cluster.mcpServer(NS, first).orElseThrow().getMetadata()
                    .getCreationTimestamp());
            await().atMost(Duration.ofSeconds(3)).until(() -> Instant.now().isAfter(created.plusSeconds(1)));
            cluster.create(urlServer(second, "dup_", loserBackend.url()));

            await(second + " in Conflict, with an Event").atMost(Duration.ofSeconds(20))
                    .pollInterval(Duration.ofMillis(200)).until(() ->
                            cluster.conditionTrue(NS, second, "Conflict")
                                    && "False".equals(cluster.condition(NS, second, "Accepted").path("status").asText())
                                    && cluster.events(NS, second).stream()
                                    .anyMatch(e -> "PrefixConflict".equals(e.getReason())));
            assertEquals("PrefixConflict", cluster.condition(NS, second, "Accepted").path("reason").asText());
            assertTrue(cluster.condition(NS, second, "Accepted").path("message").asText().contains(first),
                    "the message names the winner: " + cluster.condition(NS, second, "Accepted"));
            Event event = cluster.events(NS, second).stream().filter(e -> "PrefixConflict".equals(e.getReason()))
                    .findFirst().orElseThrow();
            assertEquals("Warning", event.getType());
            assertTrue(cluster.conditionTrue(NS, first, "Accepted"));
            await("the winner's tools listed").atMost(Duration.ofSeconds(10)).until(() -> seenByClients
                    .contains(winnerTool));
            // Keep watching for a while after the conflict settled: the loser's tools must never show up.
            await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5))
                    .until(() -> !seenByClients.contains(loserTool));
            for (ServiceProcess broker : system.brokers()) {
                TreeSet<String> names = new McpClientCli(broker.mcpUrl()).listTools().toolNames();
                assertTrue(names.contains(winnerTool) && !names.contains(loserTool), broker.name() + ": " + names);
            }
            assertEquals(0, loserBackend.requests(), "the loser's backend was never contacted");
        } finally {
            watching.set(false);
            try {
                watcher.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            winnerBackend.close();
            loserBackend.close();
        }
        assertFalse(seenByClients.contains(loserTool), "a client saw the loser's tool " + loserTool);
    }

    // ---------------------------------------------------------------- seeds 4 and 5

    @Test
    @Order(4)
    void aServerThatComesUpLateIsReadyWithinOneProbeIntervalAndADeletedOneIsGoneAtOnce() {
        FixtureMcpServer backend = new FixtureMcpServer(vertx, "late", List.of("hello", "world"), false).start();
        backend.stop(); // its port is now known and nothing listens on it: the process "starts later"
        try {
            cluster.create(urlServer("late", "late_", backend.url()));
            String id = NS + "/late";
            await(LATE_START.toSeconds() + " s with the server down: not listed, not Ready")
                    .during(LATE_START).atMost(LATE_START.plusSeconds(5)).pollInterval(Duration.ofMillis(500))
                    .until(() -> system.brokers().stream().noneMatch(b -> tools(b).contains("late_hello"))
                            && !cluster.conditionTrue(NS, "late", "Ready"));
            backend.start();
            long up = System.nanoTime();
            await("late_hello listed at both brokers").atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> system.brokers().stream().allMatch(b -> tools(b).contains("late_hello")));
            Duration toReady = Duration.ofNanos(System.nanoTime() - up);
            // One probe interval, plus what one connect and one listing take on a busy two-core machine.
            Duration bound = ManifoldSystem.PROBE_INTERVAL.plusMillis(1500);
            System.out.printf("seed 4: listed at both brokers %d ms after the server came up%n", toReady.toMillis());
            assertTrue(toReady.compareTo(bound) <= 0, "Ready " + toReady.toMillis() + " ms after coming up; bound "
                    + bound.toMillis() + " ms");
            await("READY=True in status").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                    .until(() -> cluster.conditionTrue(NS, "late", "Ready"));
            assertTrue(system.health(id).contains("\"Ready\""), system.health(id));

            cluster.deleteMcpServer(NS, "late");
            long deleted = System.nanoTime();
            await("late_ tools gone at both brokers").atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> system.brokers().stream().noneMatch(b -> tools(b).contains("late_hello")));
            Duration toGone = Duration.ofNanos(System.nanoTime() - deleted);
            System.out.printf("seed 5: tools gone at both brokers %d ms after the delete%n", toGone.toMillis());
            assertTrue(toGone.compareTo(Duration.ofSeconds(1)) < 0, "tools listed " + toGone.toMillis()
                    + " ms after the delete");
            await("health key removed").atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100))
                    .until(() -> system.health(id).isEmpty());
            // Closing its sessions (DELETE) is the last thing the backend may see; then nothing, probes included.
            java.util.concurrent.atomic.AtomicInteger last = new java.util.concurrent.atomic.AtomicInteger(-1);
            await("the backend's sessions closed").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(300))
                    .until(() -> backend.requests() == last.getAndSet(backend.requests()));
            int before = requestsOtherThanDelete(backend);
            await("no request reaches the deleted server for three probe intervals")
                    .during(ManifoldSystem.PROBE_INTERVAL.multipliedBy(3))
                    .atMost(ManifoldSystem.PROBE_INTERVAL.multipliedBy(3).plusSeconds(2))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> requestsOtherThanDelete(backend) == before);
        } finally {
            backend.close();
        }
    }

    private static int requestsOtherThanDelete(FixtureMcpServer backend) {
        return backend.requests() - backend.deletedSessions().size();
    }

    // ---------------------------------------------------------------- propagation

    @Test
    @Order(5)
    void aNewServersToolsReachClientsAtBothBrokersWithinThreeSeconds() {
        Duration took = PropagationBench.createAndAwaitAtBothBrokers(system, "propagation", "prop_",
                sharedBackend.url());
        System.out.printf("propagation: listed at both brokers %d ms after the create%n", took.toMillis());
        assertTrue(took.compareTo(PROPAGATION_BOUND) < 0, "visible at both brokers after " + took.toMillis() + " ms");
        for (ServiceProcess broker : system.brokers()) {
            McpClientCli.Session session = new McpClientCli(broker.mcpUrl())
                    .call("prop_echo", "{\"message\":\"through " + broker.name() + "\"}");
            session.requireOk();
            assertTrue(session.callResult().toString().contains("through " + broker.name()), session.toString());
        }
    }

    // ---------------------------------------------------------------- seed 3 (kills processes: last)

    @Test
    @Order(6)
    void sessionsStayOnTheirPodThroughProxyAndBrokerLossAndMoveOnlyWhenTheirPodDies() {
        int port = ItEnvironment.freePort();
        cluster.create("""
                apiVersion: mcp.manifold.dev/v1alpha1
                kind: MCPServer
                metadata: {name: pinned, namespace: %s}
                spec:
                  toolPrefix: pin_
                  workload: {image: "mcp/server-everything:latest", replicas: 3, port: %d, path: /mcp}
                """.formatted(NS, port));
        await("3 pods ready and the workload Ready").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250))
                .until(() -> system.kubelet().readyPods(NS, "pinned").size() == 3
                        && cluster.conditionTrue(NS, "pinned", "Ready")
                        && system.brokers().stream().allMatch(b -> tools(b).contains("pin_get-env")));
        ServiceProcess brokerA = system.brokerA();
        ServiceProcess brokerB = system.brokerB();
        List<RawMcpSession> sessions = new ArrayList<>();
        Map<String, String> podOf = new LinkedHashMap<>();
        for (int i = 0; i < 30; i++) {
            RawMcpSession session = RawMcpSession.initialize(brokerA.mcpUrl());
            sessions.add(session);
            podOf.put(session.sessionId(), podServing(session, brokerA));
        }
        assertTrue(new TreeSet<>(podOf.values()).size() > 1, "30 sessions spread over the pods: " + podOf);
        assertEverySessionOnItsPod(sessions, podOf, brokerA, "a second call through broker A");

        ServiceProcess proxyA = system.proxyRunners().get(0);
        proxyA.kill9();
        assertEverySessionOnItsPod(sessions, podOf, brokerA, "while proxy-runner A is down");
        proxyA.restart();
        assertEverySessionOnItsPod(sessions, podOf, brokerA, "after proxy-runner A was killed and restarted");

        brokerA.kill9();
        try {
            assertEverySessionOnItsPod(sessions, podOf, brokerB, "on broker B after broker A was killed");

            String victim = podOf.values().stream().collect(Collectors.groupingBy(p -> p, Collectors.counting()))
                    .entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
            List<String> affected = podOf.entrySet().stream().filter(e -> e.getValue().equals(victim))
                    .map(Map.Entry::getKey).toList();
            double reinitializationsBefore = reinitializations();
            Map<String, String> pinnedBefore = system.proxySessionPods();
            system.kubelet().kill9(NS, victim);
            Map<String, String> moved = new LinkedHashMap<>();
            for (RawMcpSession session : sessions) {
                String pod = podServing(session, brokerB); // fails on any client-visible error
                if (affected.contains(session.sessionId())) {
                    assertFalse(victim.equals(pod), "session " + session.sessionId() + " still on the dead pod");
                    moved.put(session.sessionId(), pod);
                } else {
                    assertEquals(podOf.get(session.sessionId()), pod, "session " + session.sessionId()
                            + " moved although its pod " + podOf.get(session.sessionId()) + " is alive");
                }
            }
            podOf.putAll(moved);
            assertEverySessionOnItsPod(sessions, podOf, brokerB, "after " + victim + " died");
            // Besides the clients' sessions, broker B's own discovery session may have been pinned to the victim
            // (its next probe moves it). The proxy-runners' session records say which sessions moved off the dead
            // pod: the counter must count each of them once, and they include every affected client session.
            await("one re-initialization per session moved off " + victim).atMost(Duration.ofSeconds(15))
                    .pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                        Map<String, String> pinnedNow = system.proxySessionPods();
                        long movedRecords = pinnedBefore.entrySet().stream()
                                .filter(e -> e.getValue().equals(victim))
                                .filter(e -> pinnedNow.containsKey(e.getKey())
                                        && !pinnedNow.get(e.getKey()).equals(victim))
                                .count();
                        assertTrue(movedRecords >= affected.size(), movedRecords + " records moved for "
                                + affected.size() + " affected client sessions");
                        assertTrue(movedRecords <= affected.size() + 1, movedRecords + " records moved for "
                                + affected.size() + " client sessions and at most one discovery session of broker B");
                        assertEquals(movedRecords, (long) (reinitializations() - reinitializationsBefore),
                                "re-initializations at the proxy-runners after " + victim + " died");
                    });

            // No ready pod left: the workload is Unhealthy (the proxy-runner's 503 is transient, never a
            // quarantine), its status says why, and its tools leave the list.
            system.kubelet().readyPods(NS, "pinned").forEach(pod -> system.kubelet().kill9(NS, pod));
            await("Ready=False, Unhealthy, 'No ready pod' in the status").atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(250)).until(() -> {
                        JsonNode ready = cluster.condition(NS, "pinned", "Ready");
                        return "False".equals(ready.path("status").asText())
                                && "Unhealthy".equals(ready.path("reason").asText())
                                && ready.path("message").asText().contains("No ready pod");
                    });
            assertFalse(tools(brokerB).contains("pin_get-env"), "a workload without a ready pod serves no tools");
        } finally {
            brokerA.restart();
        }
    }

    private static double reinitializations() {
        return system.proxyRunners().stream().filter(ServiceProcess::isAlive)
                .mapToDouble(p -> p.metric(REINITIALIZATIONS)).sum();
    }

    /** Calls get-env through {@code broker} in this session and returns the pod that answered. */
    private static String podServing(RawMcpSession session, ServiceProcess broker) {
        RawMcpSession.Reply reply = session.call(broker.mcpUrl(), "pin_get-env", "{}");
        if (!reply.ok()) {
            throw new AssertionError("session " + session.sessionId() + " at " + broker.name() + ": HTTP "
                    + reply.status() + " " + reply.body());
        }
        Matcher pod = POD_NAME.matcher(reply.result().toString());
        if (!pod.find()) {
            throw new AssertionError("get-env names no POD_NAME: " + reply.body());
        }
        return pod.group(1);
    }

    private static void assertEverySessionOnItsPod(List<RawMcpSession> sessions, Map<String, String> podOf,
            ServiceProcess broker, String when) {
        for (RawMcpSession session : sessions) {
            assertEquals(podOf.get(session.sessionId()), podServing(session, broker),
                    when + ": session " + session.sessionId() + " changed pods");
        }
    }

    /** Every counter that must not move at steady state, per service. */
    private static Map<String, Double> writeCounters() {
        Map<String, Double> counters = new LinkedHashMap<>();
        // Lease renewals (kind=leases) are the leader's heartbeat, every retry period; every other write is 0 at rest.
        // One scrape for both sums: a renewal between two scrapes would look like a write.
        PrometheusText controllerMetrics = system.controller().metrics();
        counters.put("controller " + API_WRITES + " but leases", controllerMetrics.sum(API_WRITES, Map.of())
                - controllerMetrics.sum(API_WRITES, Map.of("kind", "leases")));
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

    /**
     * deploy/monitoring names only metrics the running services export: every metric name in an alert expression or
     * a dashboard panel is in the /q/metrics output of the services of this system (after every scenario ran, so the
     * counters that appear on first use exist), and every probe path the Deployments use answers.
     */
    @Test
    @Order(7)
    void everyMetricTheAlertsAndTheDashboardUseIsExportedAndEveryProbePathAnswers() throws java.io.IOException {
        // Per-server series exist only while a server does: one Ready server for the scrape.
        cluster.create(urlServer("scraped", "scraped_", sharedBackend.url()));
        await("scraped Ready").atMost(Duration.ofSeconds(60))
                .until(() -> cluster.conditionTrue(NS, "scraped", "Ready"));
        Path root = ItEnvironment.repoRoot();
        String monitoring = Files.readString(root.resolve("deploy/monitoring/prometheusrule.yaml"))
                + Files.readString(root.resolve("deploy/monitoring/manifold-dashboard.json"));
        java.util.Set<String> used = new java.util.TreeSet<>();
        Matcher m = Pattern.compile("\\bmanifold_[a-z_]+").matcher(monitoring);
        while (m.find()) {
            used.add(m.group());
        }
        assertTrue(used.size() > 10, "too few metric names found in deploy/monitoring: " + used);
        java.util.Set<String> exported = new java.util.TreeSet<>();
        for (ServiceProcess service : system.services()) {
            if (!service.isAlive()) {
                continue;
            }
            for (String line : service.get("/q/metrics").body().lines().toList()) {
                if (!line.startsWith("#") && !line.isBlank()) {
                    String name = line.split("[{ ]", 2)[0];
                    exported.add(name);
                    exported.add(name.replaceAll("_(bucket|count|sum|max)$", ""));
                }
            }
            for (String path : List.of("/q/health/live", "/q/health/ready")) {
                assertEquals(200, service.get(path).statusCode(), service.name() + " " + path);
            }
        }
        for (ServiceProcess proxy : system.proxyRunners()) {
            if (proxy.isAlive()) {
                assertEquals(200, proxy.get("/q/health/group/serving").statusCode(), proxy.name());
            }
        }
        java.util.Set<String> missing = new java.util.TreeSet<>(used);
        missing.removeAll(exported);
        assertTrue(missing.isEmpty(), "deploy/monitoring uses metrics no service exports: " + missing);
    }

    /**
     * The controller's RBAC (deploy/base/controller/rbac.yaml) is exactly what it uses: every request the controller
     * made to the fake cluster during all scenarios (told apart by its User-Agent) is granted, and every granted
     * verb was used, or is listed below with the reason it cannot be seen here.
     */
    @Test
    @Order(8)
    void theControllersRbacGrantsExactlyTheVerbsItUses() throws java.io.IOException {
        java.util.Set<String> used = new java.util.TreeSet<>();
        for (ServerSideApplyDispatcher.ApiRequest r : cluster.apiRequests()) {
            if (r.userAgent().equals(ManifoldSystem.CONTROLLER_USER_AGENT)) {
                RbacVerbs.of(r.method(), r.path()).ifPresent(used::add);
            }
        }
        assertTrue(used.size() > 5, "too few controller requests recorded: " + used);
        java.util.Set<String> granted = RbacVerbs.granted(ItEnvironment.repoRoot()
                .resolve("deploy/base/controller/rbac.yaml"));
        java.util.Set<String> missing = new java.util.TreeSet<>(used);
        missing.removeAll(granted);
        assertTrue(missing.isEmpty(), "the controller uses verbs its RBAC does not grant: " + missing + "; used: " + used);
        java.util.Set<String> unused = new java.util.TreeSet<>(granted);
        unused.removeAll(used);
        unused.removeAll(RbacVerbs.CONTROLLER_JUSTIFIED.keySet());
        assertTrue(unused.isEmpty(), "the controller's RBAC grants verbs it never used (remove them, or justify them"
                + " in RbacVerbs.CONTROLLER_JUSTIFIED): " + unused + "; used: " + used);
    }

    private static String urlServer(String name, String prefix, String url) {
        return FakeCluster.urlServer(NS, name, prefix, url);
    }
    /**
     * In a cluster every service logs one JSON object per line (what deploy/ sets, for a log shipper), and a line
     * about a backend carries the server's id in its {@code mdc.serverId} field, so a log query can select one
     * server's lines without parsing messages.
     */
    @Test
    @Order(9)
    void everyServiceLogsJsonLinesAndBackendLinesNameTheirServer() throws java.io.IOException {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        Pattern ready = Pattern.compile("^Backend (\\S+) ready: ");
        int backendLines = 0;
        for (ServiceProcess service : system.services()) {
            List<String> lines = Files.readAllLines(logDir.resolve(service.name() + ".log")).stream()
                    .filter(line -> !line.isBlank()).toList();
            assertTrue(lines.size() > 3, service.name() + " logged almost nothing: " + lines);
            for (String line : lines) {
                com.fasterxml.jackson.databind.JsonNode entry;
                try {
                    entry = json.readTree(line);
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new AssertionError(service.name() + " logged a line that is not JSON: " + line, e);
                }
                assertTrue(entry.isObject() && entry.path("message").isTextual() && entry.path("level").isTextual(),
                        service.name() + ": " + line);
                Matcher m = ready.matcher(entry.path("message").asText());
                if (m.find()) {
                    backendLines++;
                    assertEquals(m.group(1), entry.path("mdc").path("serverId").asText(null),
                            service.name() + " wrote a line about a backend without its server id: " + line);
                }
            }
        }
        assertTrue(backendLines > 0, "no broker logged a backend becoming ready");
    }

    // ---------------------------------------------------------------- backend credentials

    /**
     * kubectl → controller → Redis → broker → backend for a credential: the MCPServer names a Secret key and a header;
     * the controller publishes the reference (never the value); each broker reads that one Secret from the API server
     * and sends its value to that server only. A rotated Secret is used from the next connect on, with no config
     * change. The value appears in no published config, no Redis value and no service log.
     */
    @Test
    @Order(10)
    void aCredentialFromASecretReachesItsServerThroughBothBrokersAndNowhereElse() throws java.io.IOException {
        String first = "key-" + java.util.UUID.randomUUID();
        String second = "key-" + java.util.UUID.randomUUID();
        FixtureMcpServer keyed = new FixtureMcpServer(vertx, "keyed", List.of("echo"), false)
                .requireCredential("X-Api-Key", first).start();
        try {
            cluster.client().secrets().inNamespace(NS).resource(secret("keyed-token", first)).create();
            cluster.create("""
                    apiVersion: mcp.manifold.dev/v1alpha1
                    kind: MCPServer
                    metadata: {name: keyed, namespace: %s}
                    spec:
                      toolPrefix: keyed_
                      url: %s
                      credentialRef: {name: keyed-token, key: token, header: X-Api-Key}
                    """.formatted(NS, keyed.url()));
            await("the keyed server Ready").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                    .until(() -> cluster.conditionTrue(NS, "keyed", "Ready"));
            for (ServiceProcess broker : system.brokers()) {
                await(broker.name() + " lists keyed_echo").atMost(Duration.ofSeconds(20))
                        .until(() -> tools(broker).contains("keyed_echo"));
                McpClientCli.Session call = new McpClientCli(broker.mcpUrl()).call("keyed_echo", "{\"message\":\"keyed\"}");
                call.requireOk();
                assertTrue(call.callResult().toString().contains("keyed"), call.toString());
            }
            assertFalse(keyed.credentialsSeen().isEmpty());
            assertEquals(Set.of(first), Set.copyOf(keyed.credentialsSeen()), "only the Secret's value, in X-Api-Key");

            JsonNode ref = StreamSupport.stream(cluster.publishedConfig(ManifoldSystem.REDIS_PREFIX).path("servers").spliterator(), false)
                    .filter(s -> s.path("id").asText().equals(NS + "/keyed")).findFirst().orElseThrow().path("credentialRef");
            assertEquals("keyed-token", ref.path("name").asText());
            assertEquals("X-Api-Key", ref.path("header").asText(), "the controller publishes the header the broker uses");

            // Each broker watched that one Secret by name, and listed no other.
            List<String> secretReads = cluster.apiRequests().stream()
                    .filter(r -> r.userAgent().equals(ManifoldSystem.BROKER_USER_AGENT) && r.path().contains("/secrets"))
                    .map(r -> r.method() + " " + r.path()).toList();
            assertFalse(secretReads.isEmpty(), "the brokers read the Secret from the API server");
            assertTrue(secretReads.stream().allMatch(r -> r.startsWith("GET /api/v1/namespaces/" + NS + "/secrets?")
                    && r.contains("fieldSelector=metadata.name%3Dkeyed-token")), secretReads.toString());

            // Rotated: the Secret first, then the server. No config is published for it.
            String version = system.publishedVersion();
            cluster.client().secrets().inNamespace(NS).resource(secret("keyed-token", second)).update();
            keyed.requireCredential("X-Api-Key", second);
            for (ServiceProcess broker : system.brokers()) {
                await(broker.name() + " sends the rotated key").atMost(Duration.ofSeconds(30)).until(() -> {
                    McpClientCli.Session call = new McpClientCli(broker.mcpUrl()).call("keyed_echo", "{\"message\":\"again\"}");
                    return call.callResult() != null && call.callResult().toString().contains("again");
                });
            }
            assertEquals(version, system.publishedVersion());
            assertTrue(keyed.credentialsSeen().contains(second));

            String configMap = String.valueOf(cluster.client().configMaps().inNamespace(ManifoldSystem.SYSTEM_NAMESPACE)
                    .withName("manifold-config").get().getData());
            String redisValues = redisValues(ManifoldSystem.REDIS_PREFIX);
            StringBuilder logs = new StringBuilder();
            try (Stream<Path> files = Files.list(logDir)) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    logs.append(Files.readString(f));
                }
            }
            assertTrue(logs.toString().contains("keyed"), "the services logged about the server");
            for (String value : List.of(first, second)) {
                assertFalse(configMap.contains(value), "the value is in the ConfigMap");
                assertFalse(redisValues.contains(value), "the value is in Redis");
                assertFalse(logs.toString().contains(value), "the value is in a service log");
            }
        } finally {
            cluster.client().secrets().inNamespace(NS).withName("keyed-token").delete();
            keyed.close();
        }
    }

    // ---------------------------------------------------------------- client tokens toward servers

    /**
     * kubectl → controller → Redis → broker → backend for a caller's own token: of three MCPServers that differ only
     * in spec.authPassthrough and spec.tokenExchange, through both brokers, the passthrough server gets the caller's
     * Authorization as it was sent, the exchange server a token the broker exchanged for it at the token endpoint
     * (this test plays it) with the server's URL as audience, and the plain server nothing. The callers' tokens are
     * in no Redis value and no service log.
     */
    @Test
    @Order(11)
    void aCallersTokenReachesOnlyTheServersThatAskForItThroughBothBrokers() throws java.io.IOException {
        FixtureMcpServer plain = new FixtureMcpServer(vertx, "plain", List.of("echo"), false).start();
        FixtureMcpServer pass = new FixtureMcpServer(vertx, "pass", List.of("echo"), false).start();
        FixtureMcpServer xchg = new FixtureMcpServer(vertx, "xchg", List.of("echo"), false).start();
        TestTokenEndpoint sts = new TestTokenEndpoint(vertx, ManifoldSystem.TOKEN_EXCHANGE_CLIENT_ID,
                ManifoldSystem.TOKEN_EXCHANGE_CLIENT_SECRET);
        try {
            for (String server : """
                    apiVersion: mcp.manifold.dev/v1alpha1
                    kind: MCPServer
                    metadata: {name: plain, namespace: %1$s}
                    spec: {toolPrefix: plain_, url: "%2$s"}
                    ---
                    apiVersion: mcp.manifold.dev/v1alpha1
                    kind: MCPServer
                    metadata: {name: pass, namespace: %1$s}
                    spec: {toolPrefix: pass_, url: "%3$s", authPassthrough: true}
                    ---
                    apiVersion: mcp.manifold.dev/v1alpha1
                    kind: MCPServer
                    metadata: {name: xchg, namespace: %1$s}
                    spec:
                      toolPrefix: xchg_
                      url: "%4$s"
                      tokenExchange: {tokenEndpoint: "%5$s", scopes: [mcp.call]}
                    """.formatted(NS, plain.url(), pass.url(), xchg.url(), sts.url()).split("---\n")) {
                cluster.create(server);
            }
            for (String name : List.of("plain", "pass", "xchg")) {
                await(name + " Ready").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                        .until(() -> cluster.conditionTrue(NS, name, "Ready"));
            }
            List<String> callers = new ArrayList<>();
            for (ServiceProcess broker : system.brokers()) {
                await(broker.name() + " lists the three servers").atMost(Duration.ofSeconds(20))
                        .until(() -> tools(broker).containsAll(List.of("plain_echo", "pass_echo", "xchg_echo")));
                String caller = "Bearer caller-" + broker.name() + "-" + java.util.UUID.randomUUID();
                callers.add(caller);
                RawMcpSession session = RawMcpSession.initialize(broker.mcpUrl(), caller);
                for (String tool : List.of("plain_echo", "pass_echo", "xchg_echo")) {
                    RawMcpSession.Reply reply = session.call(broker.mcpUrl(), tool, "{\"message\":\"hi\"}");
                    assertTrue(reply.ok(), broker.name() + " " + tool + ": " + reply.body());
                }
            }
            assertTrue(pass.credentialsSeen().containsAll(callers), "the passthrough server got each caller's header");
            assertEquals(List.of(), plain.credentialsSeen(), "the plain server got no credential at all");
            assertFalse(xchg.credentialsSeen().isEmpty());
            assertTrue(xchg.credentialsSeen().stream().allMatch(v -> v.startsWith("Bearer xchg-")),
                    "the exchange server only ever got exchanged tokens");
            for (String caller : callers) {
                List<Map<String, String>> asked = sts.exchangesOf(caller.substring("Bearer ".length()));
                assertEquals(1, asked.size(), "one exchange per caller");
                assertEquals(xchg.url(), asked.get(0).get("audience"));
                assertEquals("mcp.call", asked.get(0).get("scope"));
            }
            Map<String, JsonNode> published = new HashMap<>();
            cluster.publishedConfig(ManifoldSystem.REDIS_PREFIX).path("servers")
                    .forEach(s -> published.put(s.path("id").asText(), s));
            assertTrue(published.get(NS + "/pass").path("authPassthrough").asBoolean(), "published as written");
            assertEquals(sts.url(), published.get(NS + "/xchg").path("tokenExchange").path("tokenEndpoint").asText());
            assertFalse(published.get(NS + "/plain").has("authPassthrough"));

            String redisValues = redisValues(ManifoldSystem.REDIS_PREFIX);
            StringBuilder logs = new StringBuilder();
            try (Stream<Path> files = Files.list(logDir)) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    logs.append(Files.readString(f));
                }
            }
            for (String caller : callers) {
                String token = caller.substring("Bearer ".length());
                assertFalse(redisValues.contains(token), "a caller's token is in Redis");
                assertFalse(logs.toString().contains(token), "a caller's token is in a service log");
            }
            assertFalse(logs.toString().contains("xchg-1\""), "an exchanged token is in a service log");
        } finally {
            plain.close();
            pass.close();
            xchg.close();
            sts.close();
        }
    }

    private static io.fabric8.kubernetes.api.model.Secret secret(String name, String value) {
        return new io.fabric8.kubernetes.api.model.SecretBuilder().withNewMetadata().withNamespace(NS).withName(name)
                .endMetadata().withData(Map.of("token", java.util.Base64.getEncoder().encodeToString(
                        value.getBytes(java.nio.charset.StandardCharsets.UTF_8)))).build();
    }

    /** Every value under the prefix, whatever its type, as text. */
    private static String redisValues(String prefix) {
        StringBuilder all = new StringBuilder();
        for (String key : cluster.redis().cli("KEYS", prefix + ":*").lines().filter(l -> !l.isBlank()).toList()) {
            String type = cluster.redis().cli("TYPE", key).trim();
            all.append(key).append(' ').append(switch (type) {
                case "string" -> cluster.redis().cli("GET", key);
                case "hash" -> cluster.redis().cli("HGETALL", key);
                case "set" -> cluster.redis().cli("SMEMBERS", key);
                case "list" -> cluster.redis().cli("LRANGE", key, "0", "-1");
                case "zset" -> cluster.redis().cli("ZRANGE", key, "0", "-1");
                default -> type;
            }).append('\n');
        }
        assertTrue(all.length() > 0, "nothing under " + prefix + " in Redis");
        return all.toString();
    }
}
