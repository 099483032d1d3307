package dev.manifold.controller;

import dev.manifold.contracts.RedisNames;
import dev.manifold.controller.api.v1alpha1.MCPServer;
import dev.manifold.controller.api.v1alpha1.MCPServerStatus;
import dev.manifold.controller.config.ControllerConfig;
import dev.manifold.controller.metrics.ApiWriteCounter;
import io.fabric8.kubernetes.api.model.Condition;
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

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Broker-reported health in Redis shows up as Ready and tools in the status, written only on change. */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(UniqueRedisPrefix.class)
class HealthMirrorTest {

    private static final String NS = "health";

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
    void brokerHealthBecomesReadyAndToolsAndRepeatedReportsWriteNothing() {
        KubernetesClient client = server.getClient();
        RedisNames names = new RedisNames(config.redisPrefix());
        client.resource(Fixtures.urlServer(NS, "fetch", "fetch_", "http://fetch.example/mcp")).create();
        await().atMost(Duration.ofSeconds(30)).until(() -> Fixtures.accepted(client, NS, "fetch"));
        assertEquals("AwaitingHealth", Fixtures.condition(client, NS, "fetch", MCPServerStatus.READY).orElseThrow().getReason());

        report(names, "{\"state\":\"Ready\",\"tools\":7,\"message\":\"7 tools listed\",\"since\":1760000000000}");
        MCPServer ready = await().atMost(Duration.ofSeconds(30)).until(() -> Fixtures.get(client, NS, "fetch"),
                s -> s.getStatus().isTrue(MCPServerStatus.READY));
        McpServerAssert.assertThat(ready).isAccepted().isReadyWithTools(7);

        report(names, "{\"state\":\"Unhealthy\",\"tools\":0,\"message\":\"connection refused\",\"since\":1760000001000}");
        Condition unhealthy = await().atMost(Duration.ofSeconds(30))
                .until(() -> Fixtures.condition(client, NS, "fetch", MCPServerStatus.READY).orElseThrow(),
                        c -> "Unhealthy".equals(c.getReason()));
        assertEquals("False", unhealthy.getStatus());
        assertEquals("connection refused", unhealthy.getMessage());

        // The same report again (a new "since", same state) is not a change: no status write.
        double statusWrites = writes.total("mcpservers/status");
        double before = ControllerMetrics.reconciles(registry);
        report(names, "{\"state\":\"Unhealthy\",\"tools\":0,\"message\":\"connection refused\",\"since\":1760000002000}");
        await().atMost(Duration.ofSeconds(10)).until(() -> ControllerMetrics.reconciles(registry) > before);
        assertEquals(statusWrites, writes.total("mcpservers/status"));
        assertEquals(unhealthy.getLastTransitionTime(),
                Fixtures.condition(client, NS, "fetch", MCPServerStatus.READY).orElseThrow().getLastTransitionTime());
    }

    private void report(RedisNames names, String json) {
        redis.value(String.class).set(names.healthKey(NS + "/fetch"), json);
        redis.pubsub(String.class).publish(names.healthChangedChannel(), NS + "/fetch");
    }
}
