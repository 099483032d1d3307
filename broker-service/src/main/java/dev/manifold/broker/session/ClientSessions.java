package dev.manifold.broker.session;

import dev.manifold.contracts.McpVersions;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import dev.manifold.broker.upstream.Backend;
import dev.manifold.broker.upstream.BackendException;
import dev.manifold.broker.upstream.BackendSupervisor;
import dev.manifold.broker.upstream.McpClient;
import dev.manifold.broker.upstream.McpHttpClient;
import dev.manifold.broker.upstream.McpReply;
import dev.manifold.broker.settings.BrokerConfig;
import dev.manifold.broker.upstream.JsonRpc;
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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
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
    private final McpClient mcp;
    private final McpHttpClient http;
    private final ObjectMapper mapper;
    private final ReactiveRedisDataSource redis;
    private final BrokerConfig config;
    private final RedisNames names;
    private final boolean shared;
    private final Duration ttl;
    private final Cache<String, ClientSession> sessions;
    private final Counter redisOps;
    private final Counter reinitializations;
    private final Gauge sessionsGauge;
    private final MeterRegistry registry;
    /** Per bean, not static: a static one would be created, and seeded, when the native image is built. */
    private final SecureRandom random = new SecureRandom();
    /** The sessions holding each backend, so a removed backend does not scan every cached session. */
    private final BackendHolders holders = new BackendHolders();

    public ClientSessions(BackendSupervisor supervisor, McpClient mcp, McpHttpClient http, ObjectMapper mapper,
                          ReactiveRedisDataSource redis, RedisChannels channels, BrokerConfig config, MeterRegistry registry,
                          io.vertx.core.Vertx vertx) {
        this.vertx = vertx;
        this.supervisor = supervisor;
        this.mcp = mcp;
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
        this.reinitializations = Counter.builder("manifold.broker.backend.session.reinitializations")
                .description("Backend sessions re-opened because the backend no longer knew them").register(registry);
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
        if (!shared) {
            sessions.put(session.id(), session);
            return Uni.createFrom().item(session);
        }
        redisOps.increment();
        return redis.value(String.class)
                .set(names.brokerSessionKey(session.id()), SessionRecordCodec.write(mapper, session), new SetArgs().nx().px(ttl))
                .ifNoItem().after(config.connectTimeout()).fail()
                .onFailure().transform(f -> new StoreUnavailable("session store unavailable: " + f.getMessage(), f))
                .invoke(() -> sessions.put(session.id(), session))
                .replaceWith(session);
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
    Uni<Void> openBackendStream(ClientSession session, Backend backend, ClientSession.BackendSession bs) {
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
                        () -> session.backendStreams.remove(backend.key()))
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
     * Sends a message that expects no JSON-RPC answer (a notification, or the client's answer to a server request)
     * to one backend within the client's session there. Completes with {@code null} when no session is open.
     */
    public Uni<McpReply> deliver(ClientSession session, Backend backend, JsonNode message) {
        if (backend.stateless()) {
            return http.post(backend.entry().url(), null, McpVersions.STATELESS, message, false, null);
        }
        ClientSession.BackendSession bs = session.openBackends.get(backend.key());
        if (bs == null) {
            return Uni.createFrom().nullItem();
        }
        return send(bs, message, null);
    }

    /**
     * The backends this client has a session with. Stateless backends have none and get no session-wide
     * notifications (2026-07-28 has no roots/list_changed); a cancellation still reaches them through
     * {@link #deliver}.
     */
    public java.util.List<Backend> openBackends(ClientSession session) {
        return supervisor.all().stream().filter(b -> session.openBackends.containsKey(b.key())).toList();
    }

    /**
     * Sends one request to a backend within the client's session there, opening it if needed and re-opening it
     * once if the backend no longer knows it. Returns the backend's JSON-RPC answer (result or error).
     * <p>
     * Bounded by {@code call-timeout}: the time-box cancels the exchange, which resets its HTTP request (so the
     * pooled connection is freed), and the backend is sent {@code notifications/cancelled} for the request, as
     * when the client cancels it. (A SmallRye Fault Tolerance timeout would fail the call but leave the request
     * running: it does not cancel the {@link Uni} it guards.)
     *
     * @param onOther receives other messages the backend sends on the response stream (may be null)
     */
    public Uni<McpReply> forward(ClientSession session, Backend backend, JsonNode request, McpHttpClient.ReplyStream onOther) {
        AtomicBoolean sent = new AtomicBoolean();
        return backendSession(session, backend)
                .chain(bs -> send(bs, request, onOther, sent))
                .onFailure(BackendException.class).recoverWithUni(failure -> {
                    if (((BackendException) failure).kind() != BackendException.Kind.SESSION_EXPIRED) {
                        return Uni.createFrom().failure(failure);
                    }
                    LOG.debugf("Backend %s forgot session of client %s; re-initializing", backend.id(), session.id());
                    reinitializations.increment();
                    session.backendSessions.remove(backend.key());
                    session.openBackends.remove(backend.key());
                    return openBackendSession(session, backend).chain(bs -> send(bs, request, onOther, sent));
                })
                // On timeout the exchange is cancelled (its HTTP request reset) before this runs.
                .ifNoItem().after(config.callTimeout()).recoverWithUni(() -> {
                    if (sent.get() && request.hasNonNull("id")) {
                        cancel(session, backend, request.get("id"), "timed out: no answer within " + config.callTimeout())
                                .subscribe().with(r -> {
                                }, f -> LOG.debugf("Cancelling %s on %s failed: %s", request.get("id"), backend.id(), f.getMessage()));
                    }
                    return Uni.createFrom().failure(BackendException.timedOut("backend-call"));
                });
    }

    /**
     * Tells a backend to stop working on a request it got within this client's session: a {@code
     * notifications/cancelled} naming the backend's request id. Used when the client cancels and when the
     * broker gives up on the request (call-timeout).
     */
    public Uni<McpReply> cancel(ClientSession session, Backend backend, JsonNode backendRequestId, String reason) {
        return deliver(session, backend, JsonRpc.cancelled(backendRequestId, reason));
    }

    private Uni<McpReply> send(ClientSession.BackendSession bs, JsonNode request, McpHttpClient.ReplyStream onOther,
                               AtomicBoolean sent) {
        return send(bs, request, onOther).onSubscription().invoke(() -> sent.set(true));
    }

    private Uni<McpReply> send(ClientSession.BackendSession bs, JsonNode request, McpHttpClient.ReplyStream onOther) {
        return http.post(bs.url(), bs.sessionId(), bs.protocolVersion(), request, false, onOther);
    }

    private Uni<ClientSession.BackendSession> backendSession(ClientSession session, Backend backend) {
        if (backend.isClosed()) {
            return removed(backend);
        }
        Uni<ClientSession.BackendSession> known = session.backendSessions.get(backend.key());
        if (known != null) {
            return known;
        }
        if (!shared) {
            return openBackendSession(session, backend);
        }
        // Another replica may have opened it since we cached the session: look before opening a second one.
        redisOps.increment();
        return redis.value(String.class).get(names.brokerSessionKey(session.id()))
                .onFailure().recoverWithNull()
                .chain(json -> {
                    if (json != null) {
                        try {
                            ClientSession.BackendSession stored = SessionRecordCodec.read(mapper, json).openBackends.get(backend.key());
                            if (stored != null) {
                                hold(session, backend.key());
                                session.openBackends.put(backend.key(), stored);
                                return session.backendSessions.computeIfAbsent(backend.key(), k -> Uni.createFrom().item(stored));
                            }
                        } catch (Exception ignored) {
                            // unreadable: open a new one
                        }
                    }
                    return openBackendSession(session, backend);
                });
    }

    /**
     * The client's session with a backend, opened once and shared by the requests that need it meanwhile. The
     * opening is bounded by {@code connect-timeout} (a hung initialize is cancelled, its request reset), and a
     * failed or timed-out opening is forgotten at once, so the next request tries again instead of getting the
     * cached failure (or waiting on a cached hang) forever.
     */
    private Uni<ClientSession.BackendSession> openBackendSession(ClientSession session, Backend backend) {
        if (backend.isClosed()) {
            return removed(backend); // a request routed just before a config change: no new session with it
        }
        String key = backend.key();
        hold(session, key);
        return session.backendSessions.computeIfAbsent(key, k -> {
            String url = backend.entry().url();
            if (backend.stateless()) {
                // no session to open: every request carries its version and capabilities
                return Uni.createFrom().item(new ClientSession.BackendSession(url, null, McpVersions.STATELESS));
            }
            String preferred = backend.protocolVersion() != null ? backend.protocolVersion()
                    : McpVersions.negotiate(session.protocolVersion());
            AtomicReference<Uni<ClientSession.BackendSession>> self = new AtomicReference<>();
            // The client's own capabilities: what it can answer (sampling, elicitation, roots) is relayed to it.
            Uni<ClientSession.BackendSession> opening = mcp.initialize(url, preferred, session.capabilities(), false)
                    .ifNoItem().after(config.connectTimeout()).failWith(() -> BackendException.timedOut("backend-session initialize"))
                    .map(init -> new ClientSession.BackendSession(url, init.sessionId(), init.protocolVersion()))
                    .invoke(bs -> {
                        session.openBackends.put(k, bs);
                        if (backend.isClosed()) {
                            // removed or replaced while opening: released here, as backendClosed already ran
                            closeBackendSessions(session, k::equals);
                            holders.release(k, session);
                        } else {
                            persist(session);
                        }
                    })
                    // Forgotten before any waiting request sees the failure: a retry opens a new one.
                    .onFailure().invoke(failure -> session.backendSessions.remove(k, self.get()))
                    // The first request waits for the backend's GET stream when the client has one to relay to.
                    .call(bs -> openBackendStream(session, backend, bs))
                    .memoize().indefinitely();
            self.set(opening);
            return opening;
        });
    }

    /**
     * Indexes the session as holding the backend, before it does. A session that already left the cache (deleted
     * while one of its requests ran) is dropped again: its removal listener may have run before this.
     */
    private void hold(ClientSession session, String backendKey) {
        holders.hold(backendKey, session);
        if (sessions.policy().getIfPresentQuietly(session.id()) != session) {
            holders.forget(session);
        }
    }

    /** The backend index, for tests. */
    BackendHolders holders() {
        return holders;
    }

    private static Uni<ClientSession.BackendSession> removed(Backend backend) {
        return Uni.createFrom().failure(new BackendException(BackendException.Kind.CLOSED, 0, backend.id() + " was removed"));
    }

    /** Stores the session's backend sessions; SET XX, so a session deleted meanwhile is not resurrected. */
    private void persist(ClientSession session) {
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
    private boolean closeBackendSessions(ClientSession session, Predicate<String> keys) {
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
                http.deleteSession(bs.url(), bs.sessionId(), bs.protocolVersion()).subscribe().with(v -> {
                }, failure -> {
                });
            }
        }
        return changed;
    }
}
