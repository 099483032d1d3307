package dev.manifold.broker.session;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import dev.manifold.broker.backend.Backend;
import dev.manifold.broker.backend.BackendException;
import dev.manifold.broker.backend.BackendSupervisor;
import dev.manifold.broker.backend.McpHttpClient;
import dev.manifold.broker.backend.McpReply;
import dev.manifold.broker.config.BrokerConfig;
import dev.manifold.broker.mcp.McpProtocol;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.faulttolerance.api.TypedGuard;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerResponse;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.util.TypeLiteral;
import org.jboss.logging.Logger;

import java.security.SecureRandom;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Client sessions of this broker replica and the backend sessions opened for them. Session ids carry 128 random
 * bits. A backend session is opened on first use; if the backend forgot it (404), it is re-initialized and the
 * request retried once, so the client's call still succeeds. Idle sessions expire and close their backend
 * sessions.
 */
@ApplicationScoped
public class ClientSessions {
    private static final Logger LOG = Logger.getLogger(ClientSessions.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final BackendSupervisor supervisor;
    private final McpHttpClient http;
    private final Cache<String, ClientSession> sessions;
    private final TypedGuard<Uni<McpReply>> callGuard;

    public ClientSessions(BackendSupervisor supervisor, McpHttpClient http, BrokerConfig config, MeterRegistry registry) {
        this.supervisor = supervisor;
        this.http = http;
        this.sessions = Caffeine.newBuilder()
                .expireAfterAccess(config.sessionIdleTimeout())
                .removalListener((String id, ClientSession session, RemovalCause cause) -> {
                    if (session != null) {
                        closeBackendSessions(session);
                        HttpServerResponse stream = session.stream;
                        if (stream != null && !stream.closed()) {
                            stream.end();
                        }
                    }
                })
                .build();
        this.callGuard = TypedGuard.create(new TypeLiteral<Uni<McpReply>>() {
                })
                .withDescription("backend-call")
                .withTimeout().duration(config.callTimeout().toMillis(), ChronoUnit.MILLIS).done()
                .build();
        Gauge.builder("manifold.broker.sessions.active", sessions, c -> c.estimatedSize())
                .description("Client sessions held by this replica")
                .register(registry);
    }

    /** Creates a session for a client that just initialized. */
    public ClientSession create(String protocolVersion, JsonNode clientInfo, String principal) {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        ClientSession session = new ClientSession(HexFormat.of().formatHex(bytes), protocolVersion, clientInfo, principal,
                System.currentTimeMillis());
        sessions.put(session.id(), session);
        return session;
    }

    public ClientSession find(String id) {
        return id == null ? null : sessions.getIfPresent(id);
    }

    /** Ends a session: closes its backend sessions and its stream. */
    public boolean delete(String id) {
        ClientSession session = sessions.asMap().remove(id);
        if (session == null) {
            return false;
        }
        closeBackendSessions(session);
        HttpServerResponse stream = session.stream;
        if (stream != null && !stream.closed()) {
            stream.end();
        }
        return true;
    }

    /** Every live session, for notifications. */
    public Iterable<ClientSession> all() {
        return sessions.asMap().values();
    }

    /** Attaches the client's GET stream, replacing an older one. */
    public void attachStream(ClientSession session, HttpServerResponse stream) {
        HttpServerResponse previous = session.stream;
        session.stream = stream;
        if (previous != null && previous != stream && !previous.closed()) {
            previous.end();
        }
        stream.closeHandler(v -> {
            if (session.stream == stream) {
                session.stream = null;
            }
        });
    }

    /**
     * Sends one request to a backend within the client's session there, opening it if needed and re-opening it
     * once if the backend no longer knows it. Returns the backend's JSON-RPC answer (result or error).
     *
     * @param onOther receives other messages the backend sends on the response stream (may be null)
     */
    public Uni<McpReply> forward(ClientSession session, Backend backend, String method, JsonNode params,
                                 Consumer<JsonNode> onOther) {
        return callGuard.get(() -> backendSession(session, backend)
                .chain(bs -> http.post(bs.url(), bs.sessionId(), bs.protocolVersion(), supervisor.request(method, params), false, onOther))
                .onFailure(BackendException.class).recoverWithUni(failure -> {
                    if (((BackendException) failure).kind() != BackendException.Kind.SESSION_EXPIRED) {
                        return Uni.createFrom().failure(failure);
                    }
                    LOG.debugf("Backend %s forgot session of client %s; re-initializing", backend.id(), session.id());
                    session.backendSessions.remove(backend.key());
                    return backendSession(session, backend)
                            .chain(bs -> http.post(bs.url(), bs.sessionId(), bs.protocolVersion(), supervisor.request(method, params), false, onOther));
                }));
    }

    private Uni<ClientSession.BackendSession> backendSession(ClientSession session, Backend backend) {
        String key = backend.key();
        Uni<ClientSession.BackendSession> opening = session.backendSessions.computeIfAbsent(key, k -> {
            String url = backend.entry().url();
            String preferred = backend.protocolVersion() != null ? backend.protocolVersion()
                    : McpProtocol.negotiate(session.protocolVersion());
            // Empty client capabilities: server-to-client requests are not relayed yet, so none are promised.
            return supervisor.initialize(url, preferred, null, false)
                    .map(init -> new ClientSession.BackendSession(url, init.sessionId(), init.protocolVersion()))
                    .memoize().indefinitely();
        });
        return opening.onFailure().invoke(failure -> session.backendSessions.remove(key, opening));
    }

    private void closeBackendSessions(ClientSession session) {
        Map<String, Uni<ClientSession.BackendSession>> open = Map.copyOf(session.backendSessions);
        session.backendSessions.clear();
        open.values().forEach(uni -> uni
                .chain(bs -> bs.sessionId() == null ? Uni.createFrom().voidItem()
                        : http.deleteSession(bs.url(), bs.sessionId(), bs.protocolVersion()))
                .subscribe().with(v -> {
                }, failure -> {
                }));
    }
}
