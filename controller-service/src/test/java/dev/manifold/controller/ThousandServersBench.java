package dev.manifold.controller;

import dev.manifold.contracts.GatewayConfig;
import dev.manifold.controller.api.v1alpha1.MCPServer;
import dev.manifold.controller.api.v1alpha1.MCPServerStatus;
import dev.manifold.controller.config.ControllerConfig;
import dev.manifold.controller.metrics.ApiWriteCounter;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;

import static org.awaitility.Awaitility.await;

/**
 * Benchmark, not a test (surefire's default includes skip it): 1,000 MCPServers against the mock API server and
 * the real Redis. Prints the time until all are Accepted and published, the API writes per minute over the
 * following two minutes, and the heap used. Run with {@code ./mvnw -B -pl controller-service -am verify -Pbench}
 * (the count and the observation window are {@code -Dbench.servers=} and {@code -Dbench.minutes=}).
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(UniqueRedisPrefix.class)
class ThousandServersBench {

    private static final String NS = "bench";

    @KubernetesTestServer
    KubernetesServer server;
    @Inject
    ApiWriteCounter writes;
    @Inject
    ControllerConfig config;
    @Inject
    RedisDataSource redis;
    @Inject
    MeterRegistry registry;

    @Test
    void thousandServers() throws InterruptedException {
        int count = Integer.getInteger("bench.servers", 1000);
        int minutes = Integer.getInteger("bench.minutes", 2);
        KubernetesClient client = server.getClient();
        double writesAtStart = writes.total();
        double publishesAtStart = ControllerMetrics.publishes(registry);

        long start = System.nanoTime();
        for (int i = 0; i < count; i++) {
            client.resource(Fixtures.urlServer(NS, String.format("server-%04d", i), String.format("s%04d_", i),
                    String.format("http://server-%04d.tools.svc.cluster.local:8080/mcp", i))).create();
        }
        long created = System.nanoTime();
        await().atMost(Duration.ofMinutes(20)).pollInterval(Duration.ofMillis(250)).until(() -> {
            GatewayConfig c = Fixtures.publishedConfig(redis, config.redisPrefix()).orElse(null);
            return c != null && c.servers().stream().filter(s -> s.id().startsWith(NS + "/")).count() == count;
        });
        long published = System.nanoTime();
        await().atMost(Duration.ofMinutes(20)).pollInterval(Duration.ofMillis(500)).until(() -> {
            List<MCPServer> all = client.resources(MCPServer.class).inNamespace(NS).list().getItems();
            return all.size() == count && all.stream().allMatch(s -> s.getStatus() != null
                    && s.getStatus().isTrue(MCPServerStatus.ACCEPTED));
        });
        long accepted = System.nanoTime();
        double writesToConverge = writes.total() - writesAtStart;
        double publishesToConverge = ControllerMetrics.publishes(registry) - publishesAtStart;

        double[] perMinute = new double[minutes];
        double publishesBeforeWindow = ControllerMetrics.publishes(registry);
        for (int m = 0; m < minutes; m++) {
            double before = writes.total();
            Thread.sleep(Duration.ofMinutes(1).toMillis()); // a measurement window, not a wait for a condition
            perMinute[m] = writes.total() - before;
        }
        double publishesInWindow = ControllerMetrics.publishes(registry) - publishesBeforeWindow;
        System.gc();
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();

        StringBuilder table = new StringBuilder("\n");
        table.append(String.format("| %-58s | %14s |%n", "ThousandServersBench (mock API server + Redis)", "value"));
        table.append(String.format("|%s|%s|%n", "-".repeat(60), "-".repeat(16)));
        row(table, "MCPServers created", String.valueOf(count));
        row(table, "create calls issued (ms)", ms(created - start));
        row(table, "config holds all servers (ms from first create)", ms(published - start));
        row(table, "all servers Accepted (ms from first create)", ms(accepted - start));
        row(table, "API writes until converged", String.format("%.0f", writesToConverge));
        row(table, "config publishes until converged", String.format("%.0f", publishesToConverge));
        for (int m = 0; m < minutes; m++) {
            row(table, "API writes in minute " + (m + 1) + " after convergence", String.format("%.0f", perMinute[m]));
        }
        row(table, "config publishes in those " + minutes + " minutes", String.format("%.0f", publishesInWindow));
        row(table, "heap used after GC (MiB, whole test JVM incl. mock server)", String.format("%.1f", heap / 1048576.0));
        System.out.println(table);
    }

    private static void row(StringBuilder table, String name, String value) {
        table.append(String.format("| %-58s | %14s |%n", name, value));
    }

    private static String ms(long nanos) {
        return String.valueOf(Duration.ofNanos(nanos).toMillis());
    }
}
