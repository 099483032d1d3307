package dev.manifold.controller;

import dev.manifold.contracts.GatewayConfig;
import dev.manifold.contracts.RedisNames;
import dev.manifold.controller.config.ControllerConfig;
import dev.manifold.controller.metrics.ApiWriteCounter;
import dev.manifold.controller.publish.ConfigPublisher;
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

/**
 * The start/resync comparison: when the stored config equals the built one nothing is written; when Redis lost
 * it, only Redis is rewritten and the version announced again.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(UniqueRedisPrefix.class)
class ConfigDriftTest {

    private static final String NS = "drift";

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
    ConfigPublisher publisher;

    @Test
    void resyncWritesNothingWhenStoredConfigIsEqualAndRestoresWhatRedisLost() {
        KubernetesClient client = server.getClient();
        client.resource(Fixtures.urlServer(NS, "osv", "osv_", "http://osv.example/mcp")).create();
        GatewayConfig published = await().atMost(Duration.ofSeconds(30))
                .until(() -> Fixtures.publishedConfig(redis, config.redisPrefix()).orElse(null),
                        c -> c != null && c.server(NS + "/osv").isPresent());
        await().atMost(Duration.ofSeconds(10)).until(() -> publisher.published().map(GatewayConfig::version)
                .orElse("").equals(Fixtures.publishedConfig(redis, config.redisPrefix()).orElseThrow().version()));

        double writesBefore = writes.total();
        double publishesBefore = ControllerMetrics.publishes(registry);
        publisher.resync();
        assertEquals(publishesBefore, ControllerMetrics.publishes(registry), "equal stored config: no publish");
        assertEquals(writesBefore, writes.total(), "equal stored config: no API write");

        redis.key().del(new RedisNames(config.redisPrefix()).configKey());
        double configMapWrites = writes.total("configmaps");
        publisher.resync();
        assertEquals(publishesBefore + 1, ControllerMetrics.publishes(registry));
        assertEquals(configMapWrites, writes.total("configmaps"), "the ConfigMap was intact: not rewritten");
        assertEquals(publisher.published().orElseThrow().version(),
                Fixtures.publishedConfig(redis, config.redisPrefix()).orElseThrow().version());
        assertEquals(true, Fixtures.publishedConfig(redis, config.redisPrefix()).orElseThrow().server(NS + "/osv").isPresent());
        assertEquals(published.server(NS + "/osv"), publisher.published().orElseThrow().server(NS + "/osv"));
        assertEquals(published.generation(), Fixtures.publishedConfig(redis, config.redisPrefix()).orElseThrow().generation(),
                "restoring a lost copy is not a new publication: the generation stays, so no consumer sees it as newer");
    }
}
