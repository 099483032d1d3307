package dev.manifold.broker.gateway;

import dev.manifold.broker.settings.BrokerConfig;
import dev.manifold.runtime.HintSubscription;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.runtime.ShutdownEvent;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.util.function.Consumer;

/**
 * The broker's one Redis pub/sub subscription ({@link HintSubscription}), for every channel it listens on: config
 * changes, session evictions. The broker's timing: PING every quarter of {@code config-resync-interval}, and the
 * reconnect backoff of its backends. While it is down the applied config stays in force.
 */
@ApplicationScoped
public class RedisChannels {
    private final HintSubscription subscription;

    public RedisChannels(ReactiveRedisDataSource redis, Vertx vertx, BrokerConfig config) {
        this.subscription = new HintSubscription(redis, vertx, new HintSubscription.Settings(config.connectTimeout(),
                config.configResyncInterval().dividedBy(4), config.backoffInitial(), config.backoffMax()), "broker");
    }

    /** Registers a listener; a channel added after the subscription started makes it re-subscribe. */
    public void on(String channel, Consumer<String> listener) {
        subscription.on(channel, listener);
    }

    /** Runs after every successful (re)subscription. */
    public void onSubscribed(Runnable listener) {
        subscription.onSubscribed(listener);
    }

    /** The subscription itself, for the shared mechanisms that register on it (the GatewayConfig feed). */
    HintSubscription subscription() {
        return subscription;
    }

    /** Whether the subscription is established now. */
    public boolean up() {
        return subscription.up();
    }

    public void start() {
        subscription.start();
    }

    void stop(@Observes ShutdownEvent event) {
        subscription.stop();
    }
}
