package dev.manifold.controller;

import dev.manifold.contracts.GatewayConfig;
import dev.manifold.contracts.RedisNames;
import dev.manifold.controller.api.v1alpha1.MCPServer;
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

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seed scenario 2 (ToolHive incident 02): the same five servers created in five different orders, with
 * reconciles interleaved, always publish the same version, with exactly one ConfigMap write per published change.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(UniqueRedisPrefix.class)
class SeedOrderTest {

    private static final String NS = "seed-order";
    private static final List<String> NAMES = List.of("oci-registry", "osv", "context7", "fetch", "mcp-optimizer");

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
    void sameServersInAnyOrderPublishTheSameVersionWithOneConfigMapWritePerChange() {
        KubernetesClient client = server.getClient();
        long seed = System.nanoTime();
        Random random = new Random(seed);
        List<String> announced = new CopyOnWriteArrayList<>();
        var subscriber = redis.pubsub(String.class).subscribe(new RedisNames(config.redisPrefix()).configChangedChannel(),
                announced::add);
        try {
            // The start-up publish (0 servers) is done before the first round is measured.
            await().atMost(Duration.ofSeconds(30)).until(() -> ControllerMetrics.publishes(registry) >= 1);
            Set<String> versions = new HashSet<>();
            Set<List<String>> orders = new HashSet<>();
            for (int round = 0; round < 5; round++) {
                List<String> order = new ArrayList<>(NAMES);
                do {
                    Collections.shuffle(order, random);
                } while (!orders.add(List.copyOf(order)));
                double cmWrites = writes.total("configmaps");
                double publishes = ControllerMetrics.publishes(registry);
                int announcedBefore = announced.size();

                for (String name : order) {
                    client.resource(Fixtures.urlServer(NS, name, name.replace('-', '_') + "_",
                            "http://" + name + ".tools.svc.cluster.local:8080/mcp")).create();
                    if (random.nextBoolean()) {
                        // Let this server's reconcile and publish happen before the next create.
                        await().atMost(Duration.ofSeconds(30)).until(() -> published().server(NS + "/" + name).isPresent());
                    }
                }
                GatewayConfig all = await().atMost(Duration.ofSeconds(30)).until(this::published,
                        c -> NAMES.stream().allMatch(n -> c.server(NS + "/" + n).isPresent()));
                versions.add(all.version());
                awaitSettled(announced, announcedBefore, publishes, all.version());

                double cmDelta = writes.total("configmaps") - cmWrites;
                double publishDelta = ControllerMetrics.publishes(registry) - publishes;
                List<String> roundVersions = announced.subList(announcedBefore, announced.size());
                assertEquals(publishDelta, cmDelta, "one ConfigMap write per publish (seed " + seed + ")");
                assertTrue(cmDelta >= 1 && cmDelta <= NAMES.size(), "at most one write per created server, was " + cmDelta);
                for (int i = 1; i < roundVersions.size(); i++) {
                    assertNotEquals(roundVersions.get(i - 1), roundVersions.get(i), "a version is never published twice");
                }
                assertEquals(all.version(), roundVersions.get(roundVersions.size() - 1));

                for (String name : NAMES) {
                    client.resources(MCPServer.class).inNamespace(NS).withName(name).delete();
                }
                await().atMost(Duration.ofSeconds(30)).until(() -> NAMES.stream()
                        .noneMatch(n -> published().server(NS + "/" + n).isPresent()));
                await().atMost(Duration.ofSeconds(30)).until(() ->
                        client.resources(MCPServer.class).inNamespace(NS).list().getItems().isEmpty());
                // The next round measures from here: the last publish of this one must be fully counted.
                awaitSettled(announced, announcedBefore, publishes, published().version());
            }
            assertEquals(1, versions.size(), "every order publishes the same version (seed " + seed + "): " + versions);
        } finally {
            subscriber.unsubscribe();
        }
    }

    /**
     * Waits until the stored version is the last one announced and every publish counted since the round began was
     * announced: the publish that stored it has then written, been counted and been announced, so a measurement
     * taken now does not split a publish between its ConfigMap write and its count.
     */
    private void awaitSettled(List<String> announced, int announcedBefore, double publishesBefore, String version) {
        await().atMost(Duration.ofSeconds(10)).until(() -> !announced.isEmpty()
                && version.equals(announced.get(announced.size() - 1))
                && announced.size() - announcedBefore == ControllerMetrics.publishes(registry) - publishesBefore);
    }

    private GatewayConfig published() {
        return Fixtures.publishedConfig(redis, config.redisPrefix()).orElse(new GatewayConfig(null, null, List.of(), 0));
    }
}
