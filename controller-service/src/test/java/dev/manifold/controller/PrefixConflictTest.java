package dev.manifold.controller;

import dev.manifold.contracts.GatewayConfig;
import dev.manifold.controller.api.v1alpha1.MCPServer;
import dev.manifold.controller.api.v1alpha1.MCPServerStatus;
import dev.manifold.controller.config.ControllerConfig;
import dev.manifold.controller.metrics.ApiWriteCounter;
import dev.manifold.controller.api.v1alpha1.ConditionReasons;
import dev.manifold.controller.trigger.ReconcileTrigger;
import io.fabric8.kubernetes.api.model.Event;
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
import java.util.List;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Two MCPServers claim one prefix: the older wins, the loser is told why, and takes over when the winner goes. */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(UniqueRedisPrefix.class)
class PrefixConflictTest {

    private static final String NS = "conflict";

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
    @Inject
    ReconcileTrigger trigger;

    @Test
    void loserIsToldWhoWonAndIsPromotedWhenTheWinnerIsDeletedThenStaysStable() {
        KubernetesClient client = server.getClient();
        client.resource(Fixtures.urlServer(NS, "alpha", "shared_", "http://alpha.example/mcp")).create();
        await().atMost(Duration.ofSeconds(30)).until(() -> Fixtures.accepted(client, NS, "alpha"));
        client.resource(Fixtures.urlServer(NS, "beta", "shared_", "http://beta.example/mcp")).create();

        MCPServer beta = await().atMost(Duration.ofSeconds(30)).until(() -> Fixtures.get(client, NS, "beta"),
                b -> b.getStatus() != null && b.getStatus().condition(MCPServerStatus.ACCEPTED)
                        .map(c -> ConditionReasons.PREFIX_CONFLICT.equals(c.getReason())).orElse(false));
        McpServerAssert.assertThat(beta).lostItsPrefixTo("conflict/alpha");
        List<Event> events = await().atMost(Duration.ofSeconds(10)).until(() -> client.v1().events().inNamespace(NS).list()
                .getItems().stream().filter(e -> "beta".equals(e.getInvolvedObject().getName())
                        && ConditionReasons.PREFIX_CONFLICT.equals(e.getReason())).toList(), l -> !l.isEmpty());
        assertTrue(events.get(0).getMessage().contains("conflict/alpha"));
        GatewayConfig withAlpha = await().atMost(Duration.ofSeconds(30))
                .until(() -> Fixtures.publishedConfig(redis, config.redisPrefix()).orElse(null),
                        c -> c != null && c.server(NS + "/alpha").isPresent());
        assertFalse(withAlpha.server(NS + "/beta").isPresent(), "the loser must not be published");

        client.resources(MCPServer.class).inNamespace(NS).withName("alpha").delete();

        await().atMost(Duration.ofSeconds(30)).until(() -> Fixtures.accepted(client, NS, "beta"));
        McpServerAssert.assertThat(Fixtures.get(client, NS, "beta")).isAccepted().hasNoConflict();
        GatewayConfig withBeta = await().atMost(Duration.ofSeconds(30))
                .until(() -> Fixtures.publishedConfig(redis, config.redisPrefix()).orElse(null),
                        c -> c != null && c.server(NS + "/beta").isPresent() && c.server(NS + "/alpha").isEmpty());
        assertEquals("http://beta.example/mcp", withBeta.server(NS + "/beta").orElseThrow().url());
        assertEquals(1, client.v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> ConditionReasons.PREFIX_CONFLICT.equals(e.getReason())).count(), "one event, for the one conflict");

        // No flip-flop: 20 more reconciles of the promoted server change nothing and write nothing.
        String resourceVersion = Fixtures.get(client, NS, "beta").getMetadata().getResourceVersion();
        double statusWrites = writes.total("mcpservers/status");
        for (int i = 0; i < 20; i++) {
            double before = ControllerMetrics.reconciles(registry);
            trigger.reconcile(NS, "beta");
            await().atMost(Duration.ofSeconds(10)).until(() -> ControllerMetrics.reconciles(registry) > before);
        }
        assertEquals(resourceVersion, Fixtures.get(client, NS, "beta").getMetadata().getResourceVersion());
        assertEquals(statusWrites, writes.total("mcpservers/status"));
        assertTrue(Fixtures.accepted(client, NS, "beta"));
    }
}
