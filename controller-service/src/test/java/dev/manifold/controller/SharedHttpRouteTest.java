package dev.manifold.controller;

import dev.manifold.contracts.GatewayConfig;
import dev.manifold.contracts.ServerEntry;
import dev.manifold.controller.config.ControllerConfig;
import dev.manifold.controller.metrics.ApiWriteCounter;
import dev.manifold.controller.publish.ConfigPublisher;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * Seed scenario 1 (Kagenti incident 01): two MCPServers on one HTTPRoute, each with its own prefix. Both are
 * published with the same URL, and then the controller is silent: no API write and no publish for the quiet
 * period (30 s, the figure).
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(UniqueRedisPrefix.class)
class SharedHttpRouteTest {

    private static final String NS = "mcp-test";

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
    @ConfigProperty(name = "manifold.test.quiet-period", defaultValue = "30s")
    Duration quietPeriod;

    @Test
    void twoServersOnOneHttpRouteArePublishedThenTheControllerIsSilent() {
        KubernetesClient client = server.getClient();
        Fixtures.routeToService(client, NS, "mcp-server2-route", "mcp-server2", 9090);
        client.resource(Fixtures.routeServer(NS, "test-server2", "test2_", "mcp-server2-route")).create();
        client.resource(Fixtures.routeServer(NS, "test-server22", "test22_", "mcp-server2-route")).create();

        await().atMost(Duration.ofSeconds(30)).until(() -> Fixtures.accepted(client, NS, "test-server2")
                && Fixtures.accepted(client, NS, "test-server22"));
        GatewayConfig published = await().atMost(Duration.ofSeconds(30))
                .until(() -> Fixtures.publishedConfig(redis, config.redisPrefix()).orElse(null),
                        c -> c != null && c.server(NS + "/test-server2").isPresent()
                                && c.server(NS + "/test-server22").isPresent());
        ServerEntry a = published.server(NS + "/test-server2").orElseThrow();
        ServerEntry b = published.server(NS + "/test-server22").orElseThrow();
        assertEquals("http://mcp-server2.mcp-test.svc.cluster.local:9090/mcp", a.url());
        assertEquals(a.url(), b.url());
        assertEquals("test2_", a.toolPrefix());
        assertEquals("test22_", b.toolPrefix());
        ConfigMap cm = client.configMaps().inNamespace("manifold-system").withName("manifold-config").get();
        assertNotNull(cm);
        assertEquals(published.version(), cm.getMetadata().getAnnotations().get(ConfigPublisher.VERSION_ANNOTATION));

        double writesBefore = writes.total();
        double publishesBefore = publishes();
        await().during(quietPeriod).atMost(quietPeriod.plusSeconds(15))
                .until(() -> writes.total() == writesBefore && publishes() == publishesBefore);
        assertEquals(published.version(), Fixtures.publishedConfig(redis, config.redisPrefix()).orElseThrow().version());
    }

    private double publishes() {
        return registry.get(ConfigPublisher.PUBLISHES_METRIC).counter().count();
    }
}
