package dev.manifold.runtime;

import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.subscription.Cancellable;
import io.vertx.core.Vertx;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * A service's one Redis pub/sub subscription, for every channel it listens on: Redis pub/sub is only a hint (a
 * message sent while nobody listened is gone), so whoever listens re-reads the state it stands for after every
 * (re)subscription ({@link #onSubscribed}), and also reads it on a slow periodic resync of its own.
 *
 * <ul>
 *   <li>one SUBSCRIBE for all channels, so concurrent subscriptions cannot race on the shared pub/sub connection;
 *       a channel added later re-subscribes;</li>
 *   <li>a PING confirms each subscription before it counts as up, and a PING every {@code watchInterval} notices a
 *       dead Redis, which the pub/sub connection alone does not signal;</li>
 *   <li>a lost subscription is re-made with capped exponential backoff ({@code backoffInitial} doubling up to
 *       {@code backoffMax}); the first failure of a run is logged once at WARN;</li>
 *   <li>each (re)subscription is a generation: the watch loop and the confirming PING of an older one end as soon
 *       as a newer one starts, so exactly one watch loop is live however often the connection is lost.</li>
 * </ul>
 *
 * Used by the broker (config changes, session evictions), the controller (health changes) and the proxy-runner
 * (config changes). Not a CDI bean: each service builds one from its own configuration and stops it at shutdown.
 */
public final class HintSubscription {
    private static final Logger LOG = Logger.getLogger(HintSubscription.class);

    /** Timing of the subscription. */
    public record Settings(Duration connectTimeout, Duration watchInterval, Duration backoffInitial, Duration backoffMax) {
        public Settings {
            if (connectTimeout.isNegative() || connectTimeout.isZero() || backoffInitial.isNegative()
                    || backoffMax.compareTo(backoffInitial) < 0) {
                throw new IllegalArgumentException("invalid hint subscription settings: " + connectTimeout + ", "
                        + backoffInitial + ".." + backoffMax);
            }
        }
    }

    private final ReactiveRedisDataSource redis;
    private final Vertx vertx;
    private final Settings settings;
    private final String owner;
    private final Map<String, List<Consumer<String>>> listeners = new ConcurrentHashMap<>();
    private final List<Runnable> onSubscribed = new CopyOnWriteArrayList<>();
    private volatile Cancellable subscription;
    private volatile boolean up;
    private volatile boolean started;
    private volatile boolean stopped;
    private volatile int failures;
    private volatile boolean retrying;
    private long generation;
    /** The pending timer of the live watch loop, or -1. */
    private long watchTimer = -1;

    /** {@code owner} names the subscriber in log lines ("broker", "controller", ...). */
    public HintSubscription(ReactiveRedisDataSource redis, Vertx vertx, Settings settings, String owner) {
        this.redis = redis;
        this.vertx = vertx;
        this.settings = settings;
        this.owner = owner;
    }

    /** Registers a listener for a channel's payloads; a channel added after {@link #start} re-subscribes. */
    public synchronized void on(String channel, Consumer<String> listener) {
        boolean newChannel = !listeners.containsKey(channel);
        listeners.computeIfAbsent(channel, c -> new CopyOnWriteArrayList<>()).add(listener);
        if (newChannel && started && !stopped) {
            cancelSubscription();
            up = false;
            subscribe();
        }
    }

    /** Runs after every successful (re)subscription, the first one included. */
    public void onSubscribed(Runnable listener) {
        onSubscribed.add(listener);
    }

    /** Whether the subscription is established now. */
    public boolean up() {
        return up;
    }

    /** Subscribes to every channel registered so far; later calls do nothing. */
    public synchronized void start() {
        if (started) {
            return;
        }
        started = true;
        subscribe();
    }

    /** Ends the subscription and every timer; nothing is re-subscribed afterwards. */
    public void stop() {
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
        // The Multi form: its completion and failure signals tell when the connection is lost.
        subscription = redis.pubsub(String.class).subscribeAsMessages(channels)
                .subscribe().with(
                        message -> listeners.getOrDefault(message.getChannel(), List.of())
                                .forEach(l -> l.accept(message.getPayload())),
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
        redis.execute("PING").ifNoItem().after(settings.connectTimeout()).fail()
                .subscribe().with(ok -> {
                    if (!isCurrent(current)) {
                        return; // superseded by a newer subscription meanwhile
                    }
                    up = true;
                    failures = 0;
                    LOG.debugf("%s subscribed to %s", owner, List.of(channels));
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
        Cancellable s = subscription;
        subscription = null;
        if (s != null) {
            s.cancel();
        }
    }

    /** Pings on the regular connection to notice a dead Redis; the loop belongs to one generation. */
    private synchronized void watch(long gen) {
        if (!isCurrent(gen)) {
            return;
        }
        cancelWatch();
        watchTimer = vertx.setTimer(Math.max(1000, settings.watchInterval().toMillis()), t -> {
            synchronized (this) {
                if (watchTimer == t) {
                    watchTimer = -1;
                }
            }
            if (!isCurrent(gen) || !up) {
                return;
            }
            redis.execute("PING").ifNoItem().after(settings.connectTimeout()).fail()
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
            LOG.warnf("Redis pub/sub unavailable to the %s (%s); re-subscribing with backoff", owner, why);
        }
        long delay = Math.min(settings.backoffMax().toMillis(),
                settings.backoffInitial().toMillis() * (1L << Math.min(n - 1, 16)));
        vertx.setTimer(Math.max(1, delay), t -> {
            retrying = false;
            subscribe();
        });
    }
}
