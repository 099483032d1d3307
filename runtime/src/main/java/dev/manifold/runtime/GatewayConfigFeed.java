package dev.manifold.runtime;

import dev.manifold.contracts.ConfigValidationException;
import dev.manifold.contracts.GatewayConfig;
import dev.manifold.contracts.GatewayConfigCodec;
import dev.manifold.contracts.GatewayConfigMap;
import dev.manifold.contracts.RedisNames;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.vertx.core.Vertx;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * How a consumer (the broker, the proxy-runner) follows the {@link GatewayConfig} the controller publishes. It only
 * ever reads.
 *
 * <ul>
 *   <li>Reads {@code <prefix>:config} from Redis; when Redis has no such key, or cannot be reached, the
 *       {@link GatewayConfigMap} ConfigMap instead.</li>
 *   <li>Reads again on every {@code <prefix>:config-changed} hint naming another version, after every
 *       (re)subscription of the {@link HintSubscription}, and on a slow periodic resync: pub/sub is at-most-once.</li>
 *   <li>Hands over a config only if it {@link GatewayConfig#supersedes supersedes} the last one handed over: newer,
 *       not just different. While Redis is down, a ConfigMap copy is taken only if its generation is greater beyond
 *       doubt, so a fallback read never rolls a consumer back.</li>
 *   <li>An invalid document is reported (once per distinct error) and changes nothing.</li>
 *   <li>Reads run on a Vert.x worker, one at a time; requests that arrive meanwhile coalesce into one more read.</li>
 * </ul>
 *
 * Not a CDI bean: each service builds one with its own settings and stops it at shutdown.
 */
public final class GatewayConfigFeed {
    private static final Logger LOG = Logger.getLogger(GatewayConfigFeed.class);

    /**
     * Where and how often to read.
     *
     * @param redisTimeout        how long one Redis read may take before the ConfigMap is tried
     * @param resyncInterval      the periodic re-read (at least 1 s)
     * @param configMapNamespace  the ConfigMap's namespace; empty means the Kubernetes client's own namespace
     */
    public record Settings(RedisNames names, Duration redisTimeout, Duration resyncInterval,
                           Optional<String> configMapNamespace, String configMapName) {
    }

    /** What the feed hands over. Called on a worker thread, never two at once. */
    public interface Listener {
        /** A config that supersedes the last one handed over; {@code from} says where it was read and why. */
        void apply(GatewayConfig config, String from);

        /** A published document failed validation; the config in force stays. Once per distinct error. */
        default void rejected(String message) {
        }
    }

    private final ReactiveRedisDataSource redis;
    private final Vertx vertx;
    private final HintSubscription hints;
    private final Supplier<KubernetesClient> kubernetes;
    private final Settings settings;
    private final String owner;
    private final Listener listener;
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final AtomicLong reads = new AtomicLong();
    private volatile boolean again;
    private volatile String why = "start";
    private volatile boolean stopped;
    private volatile long resyncTimer = -1;
    private volatile GatewayConfig delivered;
    private volatile String source;
    private volatile String lastError;

    /** {@code owner} names the consumer in log lines; the caller starts and stops {@code hints} itself. */
    public GatewayConfigFeed(ReactiveRedisDataSource redis, Vertx vertx, HintSubscription hints,
                             Supplier<KubernetesClient> kubernetes, Settings settings, String owner, Listener listener) {
        this.redis = redis;
        this.vertx = vertx;
        this.hints = hints;
        this.kubernetes = kubernetes;
        this.settings = settings;
        this.owner = owner;
        this.listener = listener;
    }

    /** Listens for hints, starts the periodic resync and reads once now. */
    public void start() {
        hints.on(settings.names().configChangedChannel(), version -> {
            GatewayConfig current = delivered;
            if (current == null || !current.version().equals(version)) {
                request("config-changed " + version);
            }
        });
        hints.onSubscribed(() -> request("subscribed")); // anything published while nobody listened
        resyncTimer = vertx.setPeriodic(Math.max(1000, settings.resyncInterval().toMillis()), t -> request("resync"));
        request("start");
    }

    public void stop() {
        stopped = true;
        if (resyncTimer >= 0) {
            vertx.cancelTimer(resyncTimer);
        }
    }

    /** The last config handed over, or {@code null}. */
    public GatewayConfig delivered() {
        return delivered;
    }

    /** Where the config in force was read: {@code redis} or {@code configmap}; {@code null} before the first. */
    public String source() {
        return source;
    }

    /** Why the last read did not deliver (invalid, missing, unreadable, stale), or {@code null} if it was fine. */
    public String lastError() {
        return lastError;
    }

    /** How many reads have completed, whatever they found. */
    public long reads() {
        return reads.get();
    }

    /** Asks for a read; one runs at a time, and requests made during it coalesce into one more. */
    public void request(String reason) {
        if (stopped) {
            return;
        }
        why = reason;
        again = true;
        scheduleDrain();
    }

    /** Starts a drain on a worker unless one is already scheduled or running. */
    private void scheduleDrain() {
        if (scheduled.compareAndSet(false, true)) {
            vertx.executeBlocking(() -> {
                drain();
                return null;
            }, false);
        }
    }

    private void drain() {
        try {
            while (again && !stopped) {
                again = false;
                try {
                    read(why);
                } finally {
                    reads.incrementAndGet();
                }
            }
        } catch (RuntimeException e) {
            LOG.errorf(e, "the %s could not read its GatewayConfig", owner);
        } finally {
            scheduled.set(false);
        }
        if (again && !stopped) {
            scheduleDrain(); // a request that came after the loop's last check
        }
    }

    private void read(String reason) {
        String key = settings.names().configKey();
        GatewayConfig current = delivered;
        boolean redisDown = false;
        String redisProblem;
        try {
            String json = redis.value(String.class).get(key).await().atMost(settings.redisTimeout());
            if (json != null) {
                GatewayConfig next = parse(json, "Redis key " + key);
                if (next != null) {
                    offer(next, "redis", "Redis (" + reason + ")");
                }
                return;
            }
            redisProblem = "no " + key + " in Redis";
        } catch (RuntimeException e) {
            redisDown = true;
            redisProblem = "Redis unavailable: " + e.getMessage();
        }
        String where = "ConfigMap " + settings.configMapName();
        String json;
        try {
            json = readConfigMap();
        } catch (RuntimeException e) {
            note("no GatewayConfig read (" + redisProblem + "; " + where + " unreadable: " + e.getMessage() + ")");
            return;
        }
        if (json == null) {
            note("no GatewayConfig published yet (" + redisProblem + "; " + where + " has no " + GatewayConfigMap.KEY + ")");
            return;
        }
        GatewayConfig next = parse(json, where);
        if (next == null) {
            return;
        }
        if (redisDown && current != null && !next.newerThan(current)) {
            LOG.debugf("%s: Redis is down and %s holds nothing newer than %s; keeping it", owner, where, current.version());
            return;
        }
        offer(next, "configmap", where + " (" + reason + ", " + redisProblem + ")");
    }

    private void offer(GatewayConfig next, String sourceName, String from) {
        GatewayConfig current = delivered;
        if (current != null && current.version().equals(next.version())) {
            lastError = null;
            source = sourceName;
            return;
        }
        if (!next.supersedes(current)) {
            note("ignoring GatewayConfig " + next.version() + " from " + from + ": its generation " + next.generation()
                    + " is not newer than the applied " + current.version() + " (generation " + current.generation() + ")");
            return;
        }
        lastError = null;
        source = sourceName;
        delivered = next;
        listener.apply(next, from);
    }

    private GatewayConfig parse(String json, String where) {
        try {
            return GatewayConfigCodec.parse(json.getBytes(StandardCharsets.UTF_8));
        } catch (ConfigValidationException e) {
            GatewayConfig current = delivered;
            String message = "invalid GatewayConfig in " + where + ": " + e.getMessage()
                    + (current == null ? "" : "; keeping " + current.version());
            if (!message.equals(lastError)) {
                LOG.errorf("%s: %s", owner, message);
                listener.rejected(message);
            }
            lastError = message;
            return null;
        }
    }

    private String readConfigMap() {
        KubernetesClient client = kubernetes.get();
        String namespace = settings.configMapNamespace().orElseGet(client::getNamespace);
        ConfigMap map = client.configMaps().inNamespace(namespace).withName(settings.configMapName()).get();
        return map == null || map.getData() == null ? null : map.getData().get(GatewayConfigMap.KEY);
    }

    private void note(String message) {
        if (!message.equals(lastError)) {
            LOG.warnf("%s: %s", owner, message);
        }
        lastError = message;
    }
}
