package dev.manifold.proxy.session;

import dev.manifold.runtime.limits.SessionQuota;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalListener;
import dev.manifold.contracts.RedisNames;
import dev.manifold.contracts.SessionRecord;
import dev.manifold.proxy.ProxyConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;
import io.vertx.core.Vertx;
import jakarta.inject.Singleton;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Owns the session lookup path: a local Caffeine cache in front of the {@link SessionStore}. A request costs at
 * most one store operation, and none while its cached entry was confirmed within the refresh interval. When the
 * store fails, sessions already cached keep flowing. Also owns the per-pod session counts that pod choice uses.
 * Never creates a session the store refused.
 */
@Singleton
@RegisterForReflection(classNames = {"com.github.benmanes.caffeine.cache.SSLMSA", "com.github.benmanes.caffeine.cache.PSAMS"})
public class Sessions {

    private static final Logger LOG = Logger.getLogger(Sessions.class);

    /** A cached record and when the store last confirmed it. */
    static final class Cached {
        final SessionRecord record;
        volatile long confirmedAt;

        Cached(SessionRecord record, long confirmedAt) {
            this.record = record;
            this.confirmedAt = confirmedAt;
        }
    }

    private final ProxyConfig config;
    private final MeterRegistry registry;
    private final Instance<ReactiveRedisDataSource> redis;
    private final Vertx vertx;
    private final Map<String, AtomicInteger> perPod = new ConcurrentHashMap<>();
    private final Set<String> gauged = ConcurrentHashMap.newKeySet();
    private final long refreshNanos;
    private Cache<String, Cached> cache;
    private SessionStore store;
    private SessionQuota quota;
    private volatile Cancellable evictions;
    private volatile boolean stopping;

    public Sessions(ProxyConfig config, MeterRegistry registry, Instance<ReactiveRedisDataSource> redis, Vertx vertx) {
        this.config = config;
        this.registry = registry;
        this.redis = redis;
        this.vertx = vertx;
        this.refreshNanos = config.sessionRefreshInterval().toNanos();
    }

    void start(@Observes StartupEvent event) {
        cache = cacheBuilder(config.sessionCacheSize(), config.sessionTtl(), (sid, cached, cause) -> {
            if (cached != null) {
                counter(cached.record.serverId(), cached.record.pod()).decrementAndGet();
            }
        }).build();
        SessionQuota.Limits limits = new SessionQuota.Limits(config.maxSessionsPerPrincipal(), config.maxNewSessionsPerMinute());
        if (config.sessionStore() == ProxyConfig.SessionStoreKind.MEMORY) {
            MemorySessionStore memory = new MemorySessionStore(config.sessionTtl());
            store = memory;
            quota = SessionQuota.local(limits, memory::contains);
        } else {
            RedisNames names = new RedisNames(config.redisPrefix());
            store = new RedisSessionStore(redis.get(), names, config.sessionTtl(), config.redisTimeout(), registry);
            quota = SessionQuota.shared(limits, redis.get(), names.sessionQuotaPrefix("proxy"), names.proxySessionKey(""),
                    config.sessionTtl(), config.redisTimeout());
            subscribeEvictions(names.sessionEvictedChannel());
        }
    }

    /**
     * The session cache's options. They pick the generated classes Caffeine loads by name, which the class
     * annotation registers for the native image; NativeGuardsTest fails when the two disagree.
     */
    static Caffeine<String, Cached> cacheBuilder(long maximumSize, Duration ttl, RemovalListener<String, Cached> onRemoval) {
        return Caffeine.newBuilder()
                .maximumSize(maximumSize)
                .expireAfterAccess(ttl)
                .executor(Runnable::run)
                .removalListener(onRemoval);
    }

    void stop(@Observes ShutdownEvent event) {
        stopping = true;
        Cancellable c = evictions;
        if (c != null) {
            c.cancel();
        }
    }

    private void subscribeEvictions(String channel) {
        if (stopping) {
            return;
        }
        evictions = redis.get().pubsub(String.class).subscribe(channel)
                .subscribe().with(this::evicted, failure -> {
                    LOG.debugf("Session eviction subscription lost (%s); resubscribing", failure);
                    vertx.setTimer(1000, id -> subscribeEvictions(channel));
                }, () -> vertx.setTimer(1000, id -> subscribeEvictions(channel)));
    }

    /** Another replica deleted this session: forget it here too. */
    void evicted(String sid) {
        cache.invalidate(sid);
    }

    public SessionStore store() {
        return store;
    }

    /**
     * Admits a new session {@code sid} of {@code principal} (max-sessions-per-principal, max-new-sessions-per-minute;
     * OAuth principals only): fails with {@link SessionQuota.Exceeded}, or with the store's failure.
     */
    public Uni<Void> admit(String principal, String sid) {
        return quota.admit(principal, sid);
    }

    /** The cached record when it was confirmed within the refresh interval, else null (no store operation). */
    public SessionRecord fresh(String sid) {
        Cached cached = cache.getIfPresent(sid);
        return cached != null && System.nanoTime() - cached.confirmedAt < refreshNanos ? cached.record : null;
    }

    /**
     * The session, from the cache when it is fresh, otherwise with one GETEX. Null when the session does not exist.
     * Fails with {@link StoreUnavailableException} only when the store is down and the session is not cached; a
     * cached session whose check failed is served and counts as confirmed (no new check for a refresh interval).
     */
    public Uni<SessionRecord> find(String sid) {
        Cached cached = cache.getIfPresent(sid);
        long now = System.nanoTime();
        if (cached != null && now - cached.confirmedAt < refreshNanos) {
            return Uni.createFrom().item(cached.record);
        }
        return store.touch(sid).map(record -> {
            if (record == null) {
                cache.invalidate(sid);
                return null;
            }
            remember(record, now);
            return record;
        }).onFailure().recoverWithUni(failure -> {
            if (cached != null) {
                // Served from the cache; and not asked again for another refresh interval, or with a Redis that
                // does not answer (a partition, not a refusal) every request of the session would wait out the
                // Redis timeout first.
                cached.confirmedAt = System.nanoTime();
                return Uni.createFrom().item(cached.record);
            }
            return Uni.createFrom().failure(failure instanceof StoreUnavailableException ? failure
                    : new StoreUnavailableException("session store failed: " + failure));
        });
    }

    /** The stored record, bypassing the cache (used before a replay, in case another replica already repinned it). */
    public Uni<SessionRecord> reread(String sid) {
        return store.peek(sid).map(record -> {
            if (record == null) {
                cache.invalidate(sid);
            } else {
                remember(record, System.nanoTime());
            }
            return record;
        });
    }

    /** Stores a new session; false when the store refused it. */
    public Uni<Boolean> create(SessionRecord record) {
        return store.create(record).invoke(created -> {
            if (created) {
                remember(record, System.nanoTime());
            }
        });
    }

    /** Re-pins an existing session; false when it was deleted meanwhile (it is then forgotten here too). */
    public Uni<Boolean> repin(SessionRecord record) {
        return store.update(record).invoke(updated -> {
            if (updated) {
                remember(record, System.nanoTime());
            } else {
                cache.invalidate(record.sid());
            }
        });
    }

    public Uni<Void> delete(String sid) {
        cache.invalidate(sid);
        return store.delete(sid);
    }

    /** Sessions this replica knows pinned to the pod. */
    public int sessionsOn(String serverId, String pod) {
        AtomicInteger n = perPod.get(key(serverId, pod));
        return n == null ? 0 : n.get();
    }

    private void remember(SessionRecord record, long confirmedAt) {
        Cached current = cache.getIfPresent(record.sid());
        if (current != null && current.record.equals(record)) {
            current.confirmedAt = confirmedAt;
            return;
        }
        counter(record.serverId(), record.pod()).incrementAndGet();
        cache.put(record.sid(), new Cached(record, confirmedAt));
    }

    private AtomicInteger counter(String serverId, String pod) {
        if (gauged.add(serverId)) {
            Gauge.builder("manifold.proxy.sessions.active", () -> activeOn(serverId))
                    .description("Sessions this replica currently routes, per server")
                    .tag("server", serverId).register(registry);
        }
        return perPod.computeIfAbsent(key(serverId, pod), k -> new AtomicInteger());
    }

    private double activeOn(String serverId) {
        String prefix = serverId + '\0';
        int sum = 0;
        for (Map.Entry<String, AtomicInteger> e : perPod.entrySet()) {
            if (e.getKey().startsWith(prefix)) {
                sum += e.getValue().get();
            }
        }
        return sum;
    }

    private static String key(String serverId, String pod) {
        return serverId + '\0' + (pod == null ? "" : pod);
    }
}
