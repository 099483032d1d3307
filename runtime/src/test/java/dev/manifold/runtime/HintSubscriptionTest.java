package dev.manifold.runtime;

import dev.manifold.runtime.testing.RedisServer;
import io.quarkus.redis.runtime.datasource.ReactiveRedisDataSourceImpl;
import io.vertx.mutiny.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The subscription against a real, private {@code redis-server}: hints arrive; when Redis dies the subscription
 * goes down, and once Redis is back it re-subscribes by itself, tells its listeners (so they re-read what they
 * missed) and hints arrive again.
 */
class HintSubscriptionTest {

    private RedisServer redisServer;
    private Vertx vertx;
    private HintSubscription subscription;
    private ReactiveRedisDataSourceImpl publisher;

    @BeforeEach
    void setUp() {
        redisServer = RedisServer.temporary().start();
        vertx = Vertx.vertx();
        ReactiveRedisDataSourceImpl redis = redisServer.dataSource(vertx);
        publisher = redisServer.dataSource(vertx);
        subscription = new HintSubscription(redis, vertx.getDelegate(), new HintSubscription.Settings(
                Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofMillis(100), Duration.ofMillis(500)), "test");
    }

    @AfterEach
    void tearDown() {
        subscription.stop();
        vertx.closeAndAwait();
        redisServer.close();
    }

    private void publish(String payload) {
        publisher.pubsub(String.class).publish("changes", payload).await().atMost(Duration.ofSeconds(5));
    }

    @Test
    void hintsArriveAndTheSubscriptionComesBackAfterRedisDoes() {
        List<String> received = new CopyOnWriteArrayList<>();
        AtomicInteger subscribed = new AtomicInteger();
        subscription.on("changes", received::add);
        subscription.onSubscribed(subscribed::incrementAndGet);
        subscription.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> subscription.up() && subscribed.get() == 1);

        publish("v1");
        await().atMost(Duration.ofSeconds(10)).until(() -> received.contains("v1"));

        redisServer.stop();
        await("the watch notices Redis is gone").atMost(Duration.ofSeconds(10)).until(() -> !subscription.up());

        redisServer.start();
        await("re-subscribed without help").atMost(Duration.ofSeconds(20))
                .until(() -> subscription.up() && subscribed.get() == 2);
        publish("v2");
        await().atMost(Duration.ofSeconds(10)).until(() -> received.contains("v2"));
        assertEquals(List.of("v1", "v2"), received);
    }

    @Test
    void aChannelAddedLaterIsSubscribedToo() {
        List<String> first = new CopyOnWriteArrayList<>();
        List<String> later = new CopyOnWriteArrayList<>();
        AtomicInteger subscribed = new AtomicInteger();
        subscription.on("changes", first::add);
        subscription.onSubscribed(subscribed::incrementAndGet);
        subscription.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> subscription.up() && subscribed.get() == 1);

        subscription.on("evictions", later::add);
        await().atMost(Duration.ofSeconds(10)).until(() -> subscription.up() && subscribed.get() == 2);
        publisher.pubsub(String.class).publish("evictions", "s1").await().atMost(Duration.ofSeconds(5));
        publish("v1");
        await().atMost(Duration.ofSeconds(10)).until(() -> later.contains("s1") && first.contains("v1"));
        assertTrue(first.stream().noneMatch("s1"::equals), "a payload went to another channel's listener");
    }
}
