package dev.manifold.runtime;

import dev.manifold.contracts.GatewayConfig;
import dev.manifold.contracts.GatewayConfigCodec;
import dev.manifold.contracts.GatewayConfigMap;
import dev.manifold.contracts.PrefixMode;
import dev.manifold.contracts.RedisNames;
import dev.manifold.contracts.ServerEntry;
import dev.manifold.runtime.testing.RedisServer;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.quarkus.redis.runtime.datasource.ReactiveRedisDataSourceImpl;
import io.vertx.mutiny.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The feed against a real, private {@code redis-server} and the fabric8 mock API server: what a consumer applies,
 * from where, and what it refuses. Nothing here sleeps: each step waits for the feed to have read (a hint, or the
 * 1 s resync) and then checks what was handed over.
 */
class GatewayConfigFeedTest {
    private static final String NS = "manifold-system";
    private static final RedisNames NAMES = new RedisNames("feedtest");

    private RedisServer redisServer;
    private Vertx vertx;
    private ReactiveRedisDataSourceImpl writer;
    private KubernetesMockServer api;
    private KubernetesClient kubernetes;
    private HintSubscription hints;
    private GatewayConfigFeed feed;
    private final List<GatewayConfig> applied = new CopyOnWriteArrayList<>();
    private final List<String> sources = new CopyOnWriteArrayList<>();
    private final List<String> rejections = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() {
        redisServer = RedisServer.temporary().start();
        vertx = Vertx.vertx();
        ReactiveRedisDataSourceImpl redis = redisServer.dataSource(vertx);
        writer = redisServer.dataSource(vertx);
        api = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
        api.init();
        kubernetes = api.createClient();
        hints = new HintSubscription(redis, vertx.getDelegate(), new HintSubscription.Settings(
                Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofMillis(100), Duration.ofMillis(500)), "test");
        feed = new GatewayConfigFeed(redis, vertx.getDelegate(), hints, () -> kubernetes,
                new GatewayConfigFeed.Settings(NAMES, Duration.ofSeconds(1), Duration.ofSeconds(1), Optional.of(NS),
                        GatewayConfigMap.DEFAULT_NAME), "test", new GatewayConfigFeed.Listener() {
                    @Override
                    public void apply(GatewayConfig config, String from) {
                        applied.add(config);
                        sources.add(from);
                    }

                    @Override
                    public void rejected(String message) {
                        rejections.add(message);
                    }
                });
    }

    @AfterEach
    void tearDown() {
        feed.stop();
        hints.stop();
        kubernetes.close();
        api.destroy();
        vertx.closeAndAwait();
        redisServer.close();
    }

    private static GatewayConfig config(long generation, String... ids) {
        List<ServerEntry> servers = new ArrayList<>();
        for (String id : ids) {
            servers.add(new ServerEntry(id, id.replace("-", "_") + "_", "http://" + id + "/mcp", true, null, null, null, null));
        }
        return GatewayConfigCodec.build(PrefixMode.ALWAYS, servers).withGeneration(generation);
    }

    private static String json(GatewayConfig config) {
        return new String(GatewayConfigCodec.toJson(config), StandardCharsets.UTF_8);
    }

    private void publishToRedis(GatewayConfig config) {
        writer.value(String.class).set(NAMES.configKey(), json(config)).await().atMost(Duration.ofSeconds(5));
        writer.pubsub(String.class).publish(NAMES.configChangedChannel(), config.version()).await().atMost(Duration.ofSeconds(5));
    }

    private void writeConfigMap(String json) {
        kubernetes.configMaps().inNamespace(NS).resource(new ConfigMapBuilder().withNewMetadata()
                .withName(GatewayConfigMap.DEFAULT_NAME).withNamespace(NS).endMetadata()
                .withData(Map.of(GatewayConfigMap.KEY, json)).build()).createOr(c -> c.update());
    }

    private void start() {
        feed.start();
        hints.start();
    }

    /** Waits until the feed has finished two more reads (the 1 s resync), whatever they found. */
    private void awaitTwoMoreReads() {
        long target = feed.reads() + 2;
        await().atMost(Duration.ofSeconds(15)).until(() -> feed.reads() >= target);
    }

    private GatewayConfig last() {
        return applied.isEmpty() ? null : applied.get(applied.size() - 1);
    }

    @Test
    void redisFirstThenEveryNewerConfigAHintAnnounces() {
        writeConfigMap(json(config(50, "from-configmap")));
        publishToRedis(config(100, "a"));
        start();
        await().atMost(Duration.ofSeconds(10)).until(() -> last() != null && last().generation() == 100);
        assertEquals("redis", feed.source(), "Redis has the key: the ConfigMap is not the source");

        publishToRedis(config(200, "a", "b"));
        await().atMost(Duration.ofSeconds(10)).until(() -> last().generation() == 200);
        assertEquals(List.of(100L, 200L), applied.stream().map(GatewayConfig::generation).toList(),
                "each version handed over once, in order");
    }

    @Test
    void anOlderCopyIsNeverAppliedEvenThoughItIsDifferent() {
        publishToRedis(config(200, "a", "b"));
        start();
        await().atMost(Duration.ofSeconds(10)).until(() -> last() != null && last().generation() == 200);

        publishToRedis(config(100, "a")); // e.g. Redis restored from an old snapshot
        await("the feed read the stale copy and said why it kept the applied one").atMost(Duration.ofSeconds(10))
                .until(() -> feed.lastError() != null && feed.lastError().contains("not newer"));
        assertEquals(1, applied.size(), "no rollback: " + applied);
        assertEquals(200, feed.delivered().generation());

        publishToRedis(config(300, "a"));
        await().atMost(Duration.ofSeconds(10)).until(() -> last().generation() == 300);
        assertEquals(null, feed.lastError(), "a good read clears the complaint");
    }

    @Test
    void withoutTheRedisKeyTheConfigMapIsRead() {
        writeConfigMap(json(config(100, "a")));
        start();
        await().atMost(Duration.ofSeconds(10)).until(() -> last() != null);
        assertEquals(100, last().generation());
        assertEquals("configmap", feed.source());
        assertTrue(sources.get(0).contains("no " + NAMES.configKey() + " in Redis"), sources.toString());
    }

    @Test
    void whileRedisIsDownOnlyANewerConfigMapIsTaken() {
        publishToRedis(config(200, "a", "b"));
        writeConfigMap(json(config(200, "a", "b")));
        start();
        await().atMost(Duration.ofSeconds(10)).until(() -> last() != null && last().generation() == 200);

        redisServer.stop();
        await("the watch noticed Redis is gone").atMost(Duration.ofSeconds(15)).until(() -> !hints.up());
        writeConfigMap(json(config(150, "old")));
        awaitTwoMoreReads();
        writeConfigMap(json(config(0, "unknown-generation")));
        awaitTwoMoreReads();
        assertEquals(1, applied.size(), "an older or unknown-generation ConfigMap copy was taken: " + applied);

        writeConfigMap(json(config(400, "a", "b", "c")));
        await().atMost(Duration.ofSeconds(15)).until(() -> last().generation() == 400);
        assertEquals("configmap", feed.source());
        assertEquals(List.of(200L, 400L), applied.stream().map(GatewayConfig::generation).toList());
        assertTrue(sources.get(1).contains("Redis unavailable"), sources.toString());
    }

    @Test
    void anInvalidDocumentIsRejectedOnceAndChangesNothing() {
        publishToRedis(config(100, "a"));
        start();
        await().atMost(Duration.ofSeconds(10)).until(() -> last() != null);

        writer.value(String.class).set(NAMES.configKey(), "{\"servers\":[{\"id\":\"x\"}],\"typo\":1}")
                .await().atMost(Duration.ofSeconds(5));
        writer.pubsub(String.class).publish(NAMES.configChangedChannel(), "sha256:other").await().atMost(Duration.ofSeconds(5));
        await().atMost(Duration.ofSeconds(10)).until(() -> !rejections.isEmpty());
        awaitTwoMoreReads(); // the resync reads the same bad document again: still one rejection
        assertEquals(100, feed.delivered().generation(), "the good config stays");
        String error = feed.lastError();
        assertTrue(error.contains("invalid GatewayConfig in Redis key " + NAMES.configKey()), error);
        publishToRedis(config(200, "a", "b"));
        await().atMost(Duration.ofSeconds(10)).until(() -> last().generation() == 200);
        assertEquals(1, rejections.size(), rejections.toString());
        assertEquals(List.of(100L, 200L), applied.stream().map(GatewayConfig::generation).toList());
    }
}
