package dev.manifold.broker.gateway;

import dev.manifold.broker.settings.BrokerConfig;
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
    /**
     * Bumped by every (re)subscription: a watch loop or a confirming PING of an older subscription sees a newer
     * generation and ends, so exactly one watch loop is live at a time however often the connection is lost.
     */
    private long generation;
    /** The pending timer of the live watch loop, or -1. */
    private long watchTimer = -1;

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
        synchronized (this) {
            generation++;
            cancelWatch();
        }
    }

    private synchronized void subscribe() {
        if (stopped) {
            return;
        }
        long current = ++generation;
        cancelWatch(); // the previous subscription's watch loop ends here
        cancelSubscription();
        String[] channels = listeners.keySet().toArray(String[]::new);
        // The Multi form: its completion and failure signals tell us when the connection is lost.
        subscription = redis.pubsub(String.class).subscribeAsMessages(channels)
                .subscribe().with(
                        message -> listeners.getOrDefault(message.getChannel(), List.of()).forEach(l -> l.accept(message.getPayload())),
                        failure -> {
                            if (isCurrent(current)) {
                                retry(failure.getMessage());
                            }
                        },
                        () -> {
                            if (isCurrent(current)) {
                                retry("subscription ended");
                            }
                        });
        // Confirm the connection works, then let listeners re-read what they may have missed.
        redis.execute("PING").ifNoItem().after(config.connectTimeout()).fail()
                .subscribe().with(ok -> {
                    if (!isCurrent(current)) {
                        return; // superseded by a newer subscription meanwhile
                    }
                    up = true;
                    failures = 0;
                    LOG.debugf("Subscribed to %s", List.of(channels));
                    onSubscribed.forEach(Runnable::run);
                    watch(current);
                }, failure -> {
                    if (!isCurrent(current)) {
                        return;
                    }
                    cancelSubscription();
                    retry(failure.getMessage());
                });
    }

    private synchronized boolean isCurrent(long gen) {
        return gen == generation && !stopped;
    }

    private synchronized void cancelWatch() {
        if (watchTimer >= 0) {
            vertx.cancelTimer(watchTimer);
            watchTimer = -1;
        }
    }

    private void cancelSubscription() {
        io.smallrye.mutiny.subscription.Cancellable s = subscription;
        subscription = null;
        if (s != null) {
            s.cancel();
        }
    }

    /**
     * Pings on the regular connection to notice a dead Redis; the pub/sub connection has no other signal here.
     * The loop belongs to one subscription generation and ends as soon as a newer one starts.
     */
    private synchronized void watch(long gen) {
        if (!isCurrent(gen)) {
            return;
        }
        cancelWatch();
        watchTimer = vertx.setTimer(Math.max(1000, config.configResyncInterval().toMillis() / 4), t -> {
            synchronized (this) {
                if (watchTimer == t) {
                    watchTimer = -1;
                }
            }
            if (!isCurrent(gen) || !up) {
                return;
            }
            redis.execute("PING").ifNoItem().after(config.connectTimeout()).fail()
                    .subscribe().with(ok -> watch(gen), failure -> {
                        if (!isCurrent(gen)) {
                            return;
                        }
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
