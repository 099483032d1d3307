package dev.manifold.broker.redis;

import dev.manifold.broker.config.BrokerConfig;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.runtime.ShutdownEvent;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The broker's one Redis pub/sub subscription, for every channel it listens on (one SUBSCRIBE, so concurrent
 * subscriptions cannot race on the shared pub/sub connection). Re-subscribes with capped backoff when the
 * connection is lost, and tells listeners after every (re)subscription so they re-read state they may have
 * missed: pub/sub is only a hint.
 */
@ApplicationScoped
public class RedisChannels {
    private static final Logger LOG = Logger.getLogger(RedisChannels.class);

    private final ReactiveRedisDataSource redis;
    private final Vertx vertx;
    private final BrokerConfig config;
    private final Map<String, List<Consumer<String>>> listeners = new ConcurrentHashMap<>();
    private final List<Runnable> onSubscribed = new CopyOnWriteArrayList<>();
    private volatile io.smallrye.mutiny.subscription.Cancellable subscription;
    private volatile boolean up;
    private volatile boolean started;
    private volatile boolean stopped;
    private volatile int failures;
    private volatile boolean retrying;

    public RedisChannels(ReactiveRedisDataSource redis, Vertx vertx, BrokerConfig config) {
        this.redis = redis;
        this.vertx = vertx;
        this.config = config;
    }

    /** Registers a listener; a channel added after the subscription started makes it re-subscribe. */
    public synchronized void on(String channel, Consumer<String> listener) {
        boolean newChannel = !listeners.containsKey(channel);
        listeners.computeIfAbsent(channel, c -> new CopyOnWriteArrayList<>()).add(listener);
        if (newChannel && started && !stopped) {
            cancelSubscription();
            up = false;
            subscribe();
        }
    }

    /** Runs after every successful (re)subscription. */
    public void onSubscribed(Runnable listener) {
        onSubscribed.add(listener);
    }

    /** Whether the subscription is established now. */
    public boolean up() {
        return up;
    }

    public synchronized void start() {
        if (started) {
            return;
        }
        started = true;
        subscribe();
    }

    void stop(@Observes ShutdownEvent event) {
        stopped = true;
        cancelSubscription();
    }

    private void subscribe() {
        if (stopped) {
            return;
        }
        String[] channels = listeners.keySet().toArray(String[]::new);
        // The Multi form: its completion and failure signals tell us when the connection is lost.
        subscription = redis.pubsub(String.class).subscribeAsMessages(channels)
                .subscribe().with(
                        message -> listeners.getOrDefault(message.getChannel(), List.of()).forEach(l -> l.accept(message.getPayload())),
                        failure -> retry(failure.getMessage()),
                        () -> retry("subscription ended"));
        // Confirm the connection works, then let listeners re-read what they may have missed.
        redis.execute("PING").ifNoItem().after(config.connectTimeout()).fail()
                .subscribe().with(ok -> {
                    up = true;
                    failures = 0;
                    LOG.debugf("Subscribed to %s", List.of(channels));
                    onSubscribed.forEach(Runnable::run);
                    watch();
                }, failure -> {
                    cancelSubscription();
                    retry(failure.getMessage());
                });
    }

    private void cancelSubscription() {
        io.smallrye.mutiny.subscription.Cancellable s = subscription;
        subscription = null;
        if (s != null) {
            s.cancel();
        }
    }

    /** Pings on the regular connection to notice a dead Redis; the pub/sub connection has no other signal here. */
    private void watch() {
        vertx.setTimer(Math.max(1000, config.configResyncInterval().toMillis() / 4), t -> {
            if (stopped || !up) {
                return;
            }
            redis.execute("PING").ifNoItem().after(config.connectTimeout()).fail()
                    .subscribe().with(ok -> watch(), failure -> {
                        cancelSubscription();
                        retry(failure.getMessage());
                    });
        });
    }

    private synchronized void retry(String why) {
        if (stopped || (!up && retrying)) {
            return;
        }
        retrying = true;
        up = false;
        int n = ++failures;
        if (n == 1) {
            LOG.warnf("Redis pub/sub unavailable (%s); re-subscribing with backoff, the applied config stays in force", why);
        }
        long delay = Math.min(config.backoffMax().toMillis(), config.backoffInitial().toMillis() * (1L << Math.min(n - 1, 16)));
        vertx.setTimer(Math.max(1, delay), t -> {
            retrying = false;
            subscribe();
        });
    }
}
