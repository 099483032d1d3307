package dev.manifold.it.system;

import com.fasterxml.jackson.databind.JsonNode;
import dev.manifold.it.support.ItEnvironment;
import dev.manifold.it.support.ProcessLogsOnFailure;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two controller processes against one fake cluster, as deploy/overlays/production runs them: exactly one holds
 * the Lease, reconciles and publishes; kill -9 the leader and the standby takes over within the lease time, confirms
 * the stored config without publishing it again, and publishes the next change exactly once.
 */
@ExtendWith(ProcessLogsOnFailure.class)
class LeaderElectionIT {

    static final Duration LEASE = Duration.ofSeconds(4);
    static final String LEADER = "manifold_controller_leader";
    static final String PUBLISHES = "manifold_controller_config_publishes_total";
    static final String RECONCILES = "manifold_controller_reconciles_total";
    static final String REDIS_PREFIX = "leader-it";

    private FakeCluster cluster;
    private ServiceProcess a;
    private ServiceProcess b;

    @AfterEach
    void stop() {
        for (AutoCloseable c : new AutoCloseable[] {a, b, cluster}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception ignored) {
                // best effort
            }
        }
    }

    @Test
    void exactlyOneControllerLeadsAndTheStandbyTakesOverWithoutADoublePublish() {
        Path logDir = ItEnvironment.logDir(LeaderElectionIT.class.getSimpleName());
        cluster = FakeCluster.start(logDir);
        Map<String, String> props = ManifoldSystem.withCluster(cluster, Map.of(
                "manifold.controller.namespace", ManifoldSystem.SYSTEM_NAMESPACE,
                "manifold.controller.redis-prefix", REDIS_PREFIX,
                "manifold.controller.leader-election.lease-duration", LEASE.toSeconds() + "s",
                "manifold.controller.leader-election.renew-deadline", "3s",
                "manifold.controller.leader-election.retry-period", "500ms"));
        a = new ServiceProcess("controller-a", ItEnvironment.controllerJar(), props, logDir).launch();
        b = new ServiceProcess("controller-b", ItEnvironment.controllerJar(), props, logDir).launch();
        a.awaitReady();
        b.awaitReady();

        await("one leader").atMost(Duration.ofSeconds(60)).until(() -> leading(a) + leading(b) == 1);
        await("still one leader").during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10))
                .until(() -> leading(a) + leading(b) == 1);
        ServiceProcess leader = leading(a) == 1 ? a : b;
        ServiceProcess standby = leader == a ? b : a;

        cluster.create(urlServer("first", "first_"));
        await("first published").atMost(Duration.ofSeconds(30)).until(() -> publishedIds().contains("mcp/first"));
        String firstVersion = cluster.publishedConfig(REDIS_PREFIX).path("version").asText();
        assertTrue(leader.metric(PUBLISHES) >= 1, "the leader published");
        assertEquals(0, standby.metric(PUBLISHES), "a standby never publishes");
        assertEquals(0, standby.metric(RECONCILES, Map.of("outcome", "status-changed"))
                + standby.metric(RECONCILES, Map.of("outcome", "unchanged")), "a standby never reconciles");
        Lease lease = cluster.client().leases().inNamespace(ManifoldSystem.SYSTEM_NAMESPACE)
                .withName("manifold-controller").get();
        assertNotNull(lease, "the Lease manifold-controller exists in the install namespace");

        long killedAt = System.nanoTime();
        leader.kill9();
        await("standby takes over").atMost(LEASE.multipliedBy(4)).pollInterval(Duration.ofMillis(200))
                .until(() -> leading(standby) == 1);
        Duration takeover = Duration.ofNanos(System.nanoTime() - killedAt);
        assertTrue(takeover.compareTo(LEASE.plusSeconds(4)) <= 0, "took over in " + takeover);
        await("new leader confirms the stored config").atMost(Duration.ofSeconds(30))
                .until(() -> standby.ready() && standby.get("/q/health/ready").body().contains(firstVersion));
        assertEquals(0, standby.metric(PUBLISHES), "the version already stored is not published again");
        assertEquals(firstVersion, cluster.publishedConfig(REDIS_PREFIX).path("version").asText());

        cluster.create(urlServer("second", "second_"));
        await("second published").atMost(Duration.ofSeconds(30)).until(() -> publishedIds().contains("mcp/second"));
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10)).until(() -> standby.metric(PUBLISHES) == 1);
    }

    private static double leading(ServiceProcess controller) {
        return controller.isAlive() ? controller.metric(LEADER) : 0;
    }

    private java.util.List<String> publishedIds() {
        JsonNode config = cluster.publishedConfig(REDIS_PREFIX);
        java.util.List<String> ids = new java.util.ArrayList<>();
        if (config != null) {
            config.path("servers").forEach(s -> ids.add(s.path("id").asText()));
        }
        return ids;
    }

    private static String urlServer(String name, String prefix) {
        return FakeCluster.urlServer("mcp", name, prefix, "http://" + name + ".example:8080/mcp");
    }
}
