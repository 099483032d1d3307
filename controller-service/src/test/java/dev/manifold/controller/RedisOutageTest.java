package dev.manifold.controller;

import dev.manifold.contracts.GatewayConfigMap;
import dev.manifold.contracts.GatewayConfig;
import dev.manifold.contracts.GatewayConfigCodec;
import dev.manifold.contracts.RedisNames;
import dev.manifold.controller.api.v1alpha1.MCPServer;
import dev.manifold.controller.api.v1alpha1.MCPServerStatus;
import dev.manifold.controller.config.ControllerConfig;
import dev.manifold.controller.publish.ConfigPublisher;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.awaitility.Awaitility.await;

/**
 * Redis goes away: servers are still accepted and the ConfigMap (the durable copy) still follows; when Redis is
 * back, the missed config is written there without anyone touching an MCPServer.
 */
@QuarkusTest
@TestProfile(PrivateRedis.Profile.class)
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(UniqueRedisPrefix.class)
class RedisOutageTest {

    private static final String NS = "outage";

    @KubernetesTestServer
    KubernetesServer server;
    @Inject
    ControllerConfig config;
    @Inject
    RedisDataSource redis;

    @Test
    void configMissedDuringARedisOutageIsPublishedWhenRedisReturns() {
        KubernetesClient client = server.getClient();
        client.resource(Fixtures.urlServer(NS, "before", "before_", "http://before.example/mcp")).create();
        await().atMost(Duration.ofSeconds(30)).until(() -> Fixtures.publishedConfig(redis, config.redisPrefix())
                .map(c -> c.server(NS + "/before").isPresent()).orElse(false));

        PrivateRedis.stopServer();
        try {
            client.resource(Fixtures.urlServer(NS, "during", "during_", "http://during.example/mcp")).create();
            await().atMost(Duration.ofSeconds(30)).until(() -> Fixtures.accepted(client, NS, "during"));
            await().atMost(Duration.ofSeconds(30)).until(() -> configMap(client).server(NS + "/during").isPresent());
        } finally {
            PrivateRedis.startServer();
        }

        GatewayConfig restored = await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
                .until(() -> Fixtures.publishedConfig(redis, config.redisPrefix()).orElse(null),
                        c -> c != null && c.server(NS + "/during").isPresent());
        await().atMost(Duration.ofSeconds(10)).until(() -> restored.version().equals(configMap(client).version()));

        // The health subscription came back too: a broker report is mirrored without waiting for a resync.
        RedisNames names = new RedisNames(config.redisPrefix());
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() -> {
            redis.value(String.class).set(names.healthKey(NS + "/during"),
                    "{\"state\":\"Ready\",\"tools\":3,\"message\":\"ok\",\"since\":1760000000000}");
            redis.pubsub(String.class).publish(names.healthChangedChannel(), NS + "/during");
            MCPServer s = Fixtures.get(client, NS, "during");
            return s.getStatus().isTrue(MCPServerStatus.READY) && Integer.valueOf(3).equals(s.getStatus().getTools());
        });
    }

    private GatewayConfig configMap(KubernetesClient client) {
        ConfigMap cm = client.configMaps().inNamespace("manifold-system").withName("manifold-config").get();
        return GatewayConfigCodec.parse(cm.getData().get(GatewayConfigMap.KEY).getBytes(StandardCharsets.UTF_8));
    }
}
