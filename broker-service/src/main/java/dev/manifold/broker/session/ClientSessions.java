package dev.manifold.broker.session;

import dev.manifold.runtime.limits.SessionQuota;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import dev.manifold.broker.upstream.Backend;
import dev.manifold.broker.upstream.BackendSupervisor;
import dev.manifold.broker.upstream.McpHttpClient;
import dev.manifold.broker.settings.BrokerConfig;
import dev.manifold.broker.gateway.RedisChannels;
import dev.manifold.contracts.RedisNames;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.value.GetExArgs;
import io.quarkus.redis.datasource.value.SetArgs;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

/**
 * Client sessions and the backend sessions opened for them. Session ids carry 128 random bits.
 * <p>
 * In Kubernetes mode the session lives in Redis ({@code <prefix>:broker:session:<sid>}, sliding TTL), so any
 * broker replica serves any session: created with SET NX, updated with SET XX (a deleted session is never
 * resurrected), deleted with DEL plus a {@code session-evicted} message so other replicas drop their cached copy.
 * A local Caffeine cache keeps the hot path at zero Redis operations per request. In standalone mode sessions
 * live in memory only.
 * <p>
 * A backend session is opened on first use; if the backend forgot it (404), it is re-initialized and the request
 * retried once, so the client's call still succeeds.
 */
@ApplicationScoped
public class ClientSessions {
    private static final Logger LOG = Logger.getLogger(ClientSessions.class);

    /** Redis could not be reached for a session lookup; the client should retry. */
    public static final class StoreUnavailable extends RuntimeException {
        StoreUnavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final io.vertx.core.Vertx vertx;
    private final BackendSupervisor supervisor;
    private final McpHttpClient http;
    private final ObjectMapper mapper;
    private final ReactiveRedisDataSource redis;
    private final BrokerConfig config;
    private final RedisNames names;
    private final boolean shared;
    private final Duration ttl;
    private final Cache<String, ClientSession> sessions;
    private final Counter redisOps;
    private final Gauge sessionsGauge;
    private final MeterRegistry registry;
    /** Per bean, not static: a static one would be created, and seeded, when the native image is built. */
    private final SecureRandom random = new SecureRandom();
    /** The sessions holding each backend, so a removed backend does not scan every cached session. */
    private final BackendHolders holders = new BackendHolders();
    /** Sessions per principal and new sessions per minute (OAuth principals only). */
    private final SessionQuota quota;

    public ClientSessions(BackendSupervisor supervisor, McpHttpClient http, ObjectMapper mapper,
                          ReactiveRedisDataSource redis, RedisChannels channels, BrokerConfig config, MeterRegistry registry,
                          io.vertx.core.Vertx vertx) {
        this.vertx = vertx;
        this.supervisor = supervisor;
        this.http = http;
        this.mapper = mapper;
        this.redis = redis;
        this.config = config;
        this.names = new RedisNames(config.redisPrefix());
        this.shared = config.configFile().isEmpty();
        this.ttl = config.sessionTtl();
        this.sessions = Caffeine.newBuilder()
                .maximumSize(config.maxSessions())
                .expireAfterAccess(shared ? min(config.sessionIdleTimeout(), config.sessionTtl()) : config.sessionIdleTimeout())
                .removalListener((String id, ClientSession session, RemovalCause cause) -> {
                    if (session == null) {
                        return;
                    }
                    holders.forget(session); // whatever the cause: the index points at cached sessions only
                    if (cause == RemovalCause.EXPLICIT || cause == RemovalCause.REPLACED) {
                        return; // explicit removals clean up themselves
                    }
                    closeStream(session);
                    if (!shared) {
                        closeBackendSessions(session); // in shared mode another replica may still use them
                    }
                })
                .build();
        SessionQuota.Limits limits = new SessionQuota.Limits(config.maxSessionsPerPrincipal(), config.maxNewSessionsPerMinute());
        this.quota = shared
                ? SessionQuota.shared(limits, redis, names.sessionQuotaPrefix("broker"), names.brokerSessionKey(""),
                config.sessionTtl(), config.connectTimeout())
                : SessionQuota.local(limits, id -> sessions.asMap().containsKey(id));
        this.sessionsGauge = Gauge.builder("manifold.broker.sessions.active", sessions, c -> c.estimatedSize())
                .description("Client sessions cached by this replica")
                .register(registry);
        this.registry = registry;
        this.redisOps = Counter.builder("manifold.broker.session.redis.ops")
                .description("Redis operations made for client sessions").register(registry);
        if (shared) {
            // Other replicas' deletions drop our cached copy.
            channels.on(names.sessionEvictedChannel(), sid -> {
                ClientSession gone = sessions.asMap().remove(sid);
                if (gone != null) {
                    closeStream(gone);
                }
            });
        }
        supervisor.onClosed(this::backendClosed);
    }

    /**
     * A backend was removed from the config or replaced (its entry changed, so it has a new key): every client
     * session this replica holds closes its session with it, as on client DELETE (GET stream cancelled, DELETE
     * sent, best effort), and forgets it; a session record that changed is stored once. A replaced backend's
     * sessions are opened again on the next request that needs one. In Kubernetes mode each replica does this for
     * the sessions it has cached; the other replicas apply the same config and release theirs. Only the sessions
     * that hold the backend are visited: this runs under the config lock, once per removed backend.
     */
    void backendClosed(Backend backend) {
        String key = backend.key();
        Backend live = supervisor.get(backend.id());
        if (live != null && live.key().equals(key)) {
            return; // restarted with an identical entry: its client sessions stay valid
        }
        int closed = 0;
        for (ClientSession session : holders.take(key)) {
            if (closeBackendSessions(session, key::equals)) {
                persist(session);
                closed++;
            }
        }
        if (closed > 0) {
            LOG.debugf("Closed %d client backend sessions with removed backend %s", closed, key);
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }


    /** Eager: its session-evicted listener must be registered before the broker subscribes. */
    void init(@Observes io.quarkus.runtime.StartupEvent event) {
        // nothing to do; instantiation registers the listener
    }

    void stop(@Observes ShutdownEvent event) {
        sessions.asMap().values().forEach(this::closeStream);
        registry.remove(sessionsGauge);
    }

    /** Creates a session for a client that just initialized; stored before it is returned. */
    public Uni<ClientSession> create(String protocolVersion, JsonNode clientInfo, JsonNode capabilities, String principal) {
        byte[] bytes = new byte[16];
        random.nextBytes(bytes);
        ClientSession session = new ClientSession(HexFormat.of().formatHex(bytes), protocolVersion, clientInfo,
                capabilities, principal, System.currentTimeMillis());
        Uni<Void> admitted = quota.admit(principal, session.id())
                .onFailure(f -> !(f instanceof SessionQuota.Exceeded))
                .transform(f -> new StoreUnavailable("session store unavailable: " + f.getMessage(), f));
        if (!shared) {
            return admitted.invoke(() -> sessions.put(session.id(), session)).replaceWith(session);
        }
        return admitted.chain(() -> {
            redisOps.increment();
            return redis.value(String.class)
                    .set(names.brokerSessionKey(session.id()), SessionRecordCodec.write(mapper, session), new SetArgs().nx().px(ttl))
                    .ifNoItem().after(config.connectTimeout()).fail()
                    .onFailure().transform(f -> new StoreUnavailable("session store unavailable: " + f.getMessage(), f));
        }).invoke(() -> sessions.put(session.id(), session)).replaceWith(session);
    }

    /** The session with this id, or a {@code null} item when it does not exist (or was deleted). */
    public Uni<ClientSession> find(String id) {
        if (id == null) {
            return Uni.createFrom().nullItem();
        }
        ClientSession cached = sessions.getIfPresent(id);
        if (cached != null || !shared) {
            if (cached != null && shared) {
                renew(cached);
            }
            return Uni.createFrom().item(cached);
        }
        redisOps.increment();
        return redis.value(String.class).getex(names.brokerSessionKey(id), new GetExArgs().px(ttl))
                .ifNoItem().after(config.connectTimeout()).fail()
                .onFailure().transform(f -> new StoreUnavailable("session store unavailable: " + f.getMessage(), f))
                .map(json -> {
                    if (json == null) {
                        return null;
                    }
                    try {
                        ClientSession loaded = SessionRecordCodec.read(mapper, json);
                        ClientSession raced = sessions.asMap().putIfAbsent(id, loaded);
                        if (raced != null) {
                            return raced;
                        }
                        loaded.openBackends.keySet().forEach(key -> hold(loaded, key));
                        return loaded;
                    } catch (Exception e) {
                        LOG.warnf("Unreadable session record %s: %s", id, e.getMessage());
                        return null;
                    }
                });
    }

    /** Sliding TTL without a Redis operation per request: renewed at most every tenth of the TTL. */
    private void renew(ClientSession session) {
        long now = System.currentTimeMillis();
        if (now - session.touchedAt < ttl.toMillis() / 10) {
            return;
        }
        session.touchedAt = now;
        redisOps.increment();
        redis.key(String.class).pexpire(names.brokerSessionKey(session.id()), ttl)
                .subscribe().with(renewed -> {
                    if (Boolean.FALSE.equals(renewed) && sessions.asMap().remove(session.id(), session)) {
                        closeStream(session); // deleted elsewhere: never resurrect it
                    }
                }, failure -> session.touchedAt = 0);
    }

    /** Ends a session everywhere: closes its backend sessions and stream, deletes the record. */
    public Uni<Boolean> delete(ClientSession session) {
        sessions.asMap().remove(session.id());
        closeBackendSessions(session);
        closeStream(session);
        if (!shared) {
            return Uni.createFrom().item(true);
        }
        redisOps.increment();
        return redis.key(String.class).del(names.brokerSessionKey(session.id()))
                .chain(deleted -> redis.pubsub(String.class).publish(names.sessionEvictedChannel(), session.id()).replaceWith(deleted > 0))
                .onFailure().recoverWithItem(true);
    }

    /** Every session cached by this replica, for notifications on the streams it holds. */
    public Iterable<ClientSession> all() {
        return sessions.asMap().values();
    }

    /** Receives messages a backend sends on a client session's backend GET stream. */
    public interface BackendMessages {
        void accept(ClientSession session, Backend backend, JsonNode message);
    }

    private volatile BackendMessages backendMessages = (session, backend, message) -> {
    };

    /** Where messages from backends' GET streams of client sessions go (the endpoint relays them). */
    public void onBackendMessage(BackendMessages handler) {
        this.backendMessages = handler;
    }

    /**
     * Opens the backend's GET stream for this client session once; a backend answering 405 has none. Completes
     * when the backend has answered the GET (or after the connect timeout), so that a caller can hold the first
     * request until the backend has a stream for what it sends unsolicited: a server drops a request it sends
     * while no stream is open, and a tool waiting for its answer (roots/list, say) would then never complete.
     */
    Uni<Void> openBackendStream(ClientSession session, Backend backend, ClientSession.BackendSession bs,
                                dev.manifold.broker.credentials.ClientToken client) {
        if (bs.sessionId() == null || session.standalone == null || backend.isClosed()
                || session.backendStreams.containsKey(backend.key())) {
            return Uni.createFrom().voidItem();
        }
        Runnable placeholder = () -> {
        };
        if (session.backendStreams.putIfAbsent(backend.key(), placeholder) != null) {
            return Uni.createFrom().voidItem();
        }
        CompletableFuture<Void> answered = new CompletableFuture<>();
        http.openStream(bs.url(), bs.sessionId(), bs.protocolVersion(),
                        message -> backendMessages.accept(session, backend, message),
                        () -> session.backendStreams.remove(backend.key()), client)
                .subscribe().with(handle -> {
                    answered.complete(null);
                    if (handle == null) {
                        return; // 405: the backend sends nothing unsolicited; keep the placeholder so it is not asked again
                    }
                    if (!session.backendStreams.replace(backend.key(), placeholder, handle) || sessions.getIfPresent(session.id()) == null
                            || backend.isClosed()) {
                        handle.run();
                        session.backendStreams.remove(backend.key(), handle);
                    }
                }, failure -> {
                    answered.complete(null);
                    session.backendStreams.remove(backend.key(), placeholder);
                });
        return Uni.createFrom().completionStage(answered)
                .ifNoItem().after(config.connectTimeout()).recoverWithUni(() -> Uni.createFrom().voidItem())
                .replaceWithVoid();
    }

    /**
     * Indexes the session as holding the backend, before it does. A session that already left the cache (deleted
     * while one of its requests ran) is dropped again: its removal listener may have run before this.
     */
    void hold(ClientSession session, String backendKey) {
        holders.hold(backendKey, session);
        if (sessions.policy().getIfPresentQuietly(session.id()) != session) {
            holders.forget(session);
        }
    }

    /** Releases {@code session}'s hold on a backend (a backend session opened while the backend was removed). */
    void release(String backendKey, ClientSession session) {
        holders.release(backendKey, session);
    }

    /**
     * In Kubernetes mode, the backend session another replica may have opened for this client since it was cached
     * here (read from the stored record); {@code null} when there is none, the record is unreadable or standalone.
     */
    Uni<ClientSession.BackendSession> storedBackendSession(ClientSession session, String backendKey) {
        if (!shared) {
            return Uni.createFrom().nullItem();
        }
        redisOps.increment();
        return redis.value(String.class).get(names.brokerSessionKey(session.id()))
                .onFailure().recoverWithNull()
                .map(json -> {
                    if (json == null) {
                        return null;
                    }
                    try {
                        return SessionRecordCodec.read(mapper, json).openBackends.get(backendKey);
                    } catch (Exception unreadable) {
                        return null; // a new one is opened
                    }
                });
    }

    /** The backend index, for tests. */
    BackendHolders holders() {
        return holders;
    }

    /** Stores the session's backend sessions; SET XX, so a session deleted meanwhile is not resurrected. */
    void persist(ClientSession session) {
        if (!shared) {
            return;
        }
        redisOps.increment();
        redis.value(String.class)
                .set(names.brokerSessionKey(session.id()), SessionRecordCodec.write(mapper, session), new SetArgs().xx().px(ttl))
                .subscribe().with(v -> {
                }, failure -> LOG.debugf("Could not store backend sessions of %s: %s", session.id(), failure.getMessage()));
    }

    /** Ends everything this replica holds for the session: client streams, backend streams, pending requests. */
    private void closeStream(ClientSession session) {
        EventStream standalone = session.standalone;
        if (standalone != null) {
            standalone.close();
        }
        session.streams.values().forEach(EventStream::close);
        session.streams.clear();
        session.backendStreams.values().forEach(Runnable::run);
        session.backendStreams.clear();
        session.pending.values().forEach(p -> {
            if (p.timerId() >= 0) {
                vertx.cancelTimer(p.timerId());
            }
        });
        session.pending.clear();
        session.inFlight.clear();
        session.progressTokens.clear();
    }

    private void closeBackendSessions(ClientSession session) {
        closeBackendSessions(session, key -> true);
    }

    /**
     * Closes the client's sessions with the backends whose keys match: cancels their GET streams, forgets them and
     * sends each a DELETE (best effort, bounded by {@code connect-timeout}, never waited for). Returns whether an
     * open backend session was dropped (so the stored record changed).
     */
    boolean closeBackendSessions(ClientSession session, Predicate<String> keys) {
        for (String key : java.util.List.copyOf(session.backendStreams.keySet())) {
            if (keys.test(key)) {
                Runnable close = session.backendStreams.remove(key);
                if (close != null) {
                    close.run();
                }
            }
        }
        session.backendSessions.keySet().removeIf(keys);
        boolean changed = false;
        for (Map.Entry<String, ClientSession.BackendSession> open : Map.copyOf(session.openBackends).entrySet()) {
            ClientSession.BackendSession bs = open.getValue();
            if (!keys.test(open.getKey()) || !session.openBackends.remove(open.getKey(), bs)) {
                continue;
            }
            changed = true;
            if (bs.sessionId() != null) {
                http.deleteSession(bs.url(), bs.sessionId(), bs.protocolVersion(), session.clientToken()).subscribe().with(v -> {
                }, failure -> {
                });
            }
        }
        return changed;
    }
}
