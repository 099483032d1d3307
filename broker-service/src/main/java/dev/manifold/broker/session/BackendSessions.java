package dev.manifold.broker.session;

import com.fasterxml.jackson.databind.JsonNode;
import dev.manifold.broker.credentials.ClientToken;
import dev.manifold.broker.settings.BrokerConfig;
import dev.manifold.broker.upstream.Backend;
import dev.manifold.broker.upstream.BackendException;
import dev.manifold.broker.upstream.BackendSupervisor;
import dev.manifold.broker.upstream.JsonRpc;
import dev.manifold.broker.upstream.McpClient;
import dev.manifold.broker.upstream.McpHttpClient;
import dev.manifold.broker.upstream.McpReply;
import dev.manifold.contracts.McpVersions;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A client's sessions with the backends, and what goes through them: a backend session is opened on first use
 * (with the client's own capabilities), shared by the requests that need it meanwhile, re-opened once when the
 * backend forgot it (so the client's call still succeeds), and every forwarded request is bounded by
 * {@code call-timeout}. The client sessions themselves, and closing what they hold, are {@link ClientSessions}'.
 * Counts {@code manifold.broker.backend.session.reinitializations}.
 */
@ApplicationScoped
public class BackendSessions {
    private static final Logger LOG = Logger.getLogger(BackendSessions.class);

    private final ClientSessions sessions;
    private final BackendSupervisor supervisor;
    private final McpClient mcp;
    private final McpHttpClient http;
    private final BrokerConfig config;
    private final Counter reinitializations;

    public BackendSessions(ClientSessions sessions, BackendSupervisor supervisor, McpClient mcp, McpHttpClient http,
                           BrokerConfig config, MeterRegistry registry) {
        this.sessions = sessions;
        this.supervisor = supervisor;
        this.mcp = mcp;
        this.http = http;
        this.config = config;
        this.reinitializations = Counter.builder("manifold.broker.backend.session.reinitializations")
                .description("Backend sessions re-opened because the backend no longer knew them").register(registry);
    }

    /**
     * Sends a message that expects no JSON-RPC answer (a notification, or the client's answer to a server request)
     * to one backend within the client's session there. Completes with {@code null} when no session is open.
     */
    public Uni<McpReply> deliver(ClientSession session, Backend backend, JsonNode message) {
        return deliver(session, backend, message, session.clientToken());
    }

    /** {@link #deliver}, on behalf of the client request that carried {@code client}. */
    public Uni<McpReply> deliver(ClientSession session, Backend backend, JsonNode message, ClientToken client) {
        if (backend.stateless()) {
            return http.post(backend.entry().url(), null, McpVersions.STATELESS, message, false, null, client);
        }
        ClientSession.BackendSession bs = session.openBackends.get(backend.key());
        if (bs == null) {
            return Uni.createFrom().nullItem();
        }
        return send(bs, message, null, client);
    }

    /**
     * The backends this client has a session with. Stateless backends have none and get no session-wide
     * notifications (2026-07-28 has no roots/list_changed); a cancellation still reaches them through
     * {@link #deliver}.
     */
    public List<Backend> openBackends(ClientSession session) {
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
     * @param client  the client's token of the request, which a server with authPassthrough or tokenExchange gets
     */
    public Uni<McpReply> forward(ClientSession session, Backend backend, JsonNode request, McpHttpClient.ReplyStream onOther,
                                 ClientToken client) {
        AtomicBoolean sent = new AtomicBoolean();
        return backendSession(session, backend, client)
                .chain(bs -> send(bs, request, onOther, sent, client))
                .onFailure(BackendException.class).recoverWithUni(failure -> {
                    if (((BackendException) failure).kind() != BackendException.Kind.SESSION_EXPIRED) {
                        return Uni.createFrom().failure(failure);
                    }
                    LOG.debugf("Backend %s forgot session of client %s; re-initializing", backend.id(), session.id());
                    reinitializations.increment();
                    session.backendSessions.remove(backend.key());
                    session.openBackends.remove(backend.key());
                    return openBackendSession(session, backend, client).chain(bs -> send(bs, request, onOther, sent, client));
                })
                // On timeout the exchange is cancelled (its HTTP request reset) before this runs.
                .ifNoItem().after(config.callTimeout()).recoverWithUni(() -> {
                    if (sent.get() && request.hasNonNull("id")) {
                        cancel(session, backend, request.get("id"), "timed out: no answer within " + config.callTimeout(),
                                client)
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
    public Uni<McpReply> cancel(ClientSession session, Backend backend, JsonNode backendRequestId, String reason,
                                ClientToken client) {
        return deliver(session, backend, JsonRpc.cancelled(backendRequestId, reason), client);
    }

    private Uni<McpReply> send(ClientSession.BackendSession bs, JsonNode request, McpHttpClient.ReplyStream onOther,
                               AtomicBoolean sent, ClientToken client) {
        return send(bs, request, onOther, client).onSubscription().invoke(() -> sent.set(true));
    }

    private Uni<McpReply> send(ClientSession.BackendSession bs, JsonNode request, McpHttpClient.ReplyStream onOther,
                               ClientToken client) {
        return http.post(bs.url(), bs.sessionId(), bs.protocolVersion(), request, false, onOther, client);
    }

    private Uni<ClientSession.BackendSession> backendSession(ClientSession session, Backend backend, ClientToken client) {
        if (backend.isClosed()) {
            return removed(backend);
        }
        Uni<ClientSession.BackendSession> known = session.backendSessions.get(backend.key());
        if (known != null) {
            return known;
        }
        // Another replica may have opened it since we cached the session: look before opening a second one.
        return sessions.storedBackendSession(session, backend.key()).chain(stored -> {
            if (stored == null) {
                return openBackendSession(session, backend, client);
            }
            sessions.hold(session, backend.key());
            session.openBackends.put(backend.key(), stored);
            return session.backendSessions.computeIfAbsent(backend.key(), k -> Uni.createFrom().item(stored));
        });
    }

    /**
     * The client's session with a backend, opened once and shared by the requests that need it meanwhile. The
     * opening is bounded by {@code connect-timeout} (a hung initialize is cancelled, its request reset), and a
     * failed or timed-out opening is forgotten at once, so the next request tries again instead of getting the
     * cached failure (or waiting on a cached hang) forever.
     */
    private Uni<ClientSession.BackendSession> openBackendSession(ClientSession session, Backend backend, ClientToken client) {
        if (backend.isClosed()) {
            return removed(backend); // a request routed just before a config change: no new session with it
        }
        String key = backend.key();
        sessions.hold(session, key);
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
            Uni<ClientSession.BackendSession> opening = mcp.initialize(url, preferred, session.capabilities(), false, client)
                    .ifNoItem().after(config.connectTimeout()).failWith(() -> BackendException.timedOut("backend-session initialize"))
                    .map(init -> new ClientSession.BackendSession(url, init.sessionId(), init.protocolVersion()))
                    .invoke(bs -> {
                        session.openBackends.put(k, bs);
                        if (backend.isClosed()) {
                            // removed or replaced while opening: released here, as backendClosed already ran
                            sessions.closeBackendSessions(session, k::equals);
                            sessions.release(k, session);
                        } else {
                            sessions.persist(session);
                        }
                    })
                    // Forgotten before any waiting request sees the failure: a retry opens a new one.
                    .onFailure().invoke(failure -> session.backendSessions.remove(k, self.get()))
                    // The first request waits for the backend's GET stream when the client has one to relay to.
                    .call(bs -> sessions.openBackendStream(session, backend, bs, client))
                    .memoize().indefinitely();
            self.set(opening);
            return opening;
        });
    }

    private static Uni<ClientSession.BackendSession> removed(Backend backend) {
        return Uni.createFrom().failure(new BackendException(BackendException.Kind.CLOSED, 0, backend.id() + " was removed"));
    }
}
