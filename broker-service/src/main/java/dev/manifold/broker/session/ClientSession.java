package dev.manifold.broker.session;

import com.fasterxml.jackson.databind.JsonNode;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerResponse;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One client's session with the broker: what it negotiated, and the backend sessions opened for it lazily, one
 * per backend (keyed by backend id and config hash, so a replaced backend gets a new session).
 */
public final class ClientSession {
    private final String id;
    private final String protocolVersion;
    private final JsonNode clientInfo;
    private final String principal;
    private final long createdAt;
    /** When this replica last renewed the session's TTL in Redis, epoch milliseconds. */
    volatile long touchedAt;
    final Map<String, Uni<BackendSession>> backendSessions = new ConcurrentHashMap<>();
    /** The backend sessions already open, as stored in Redis. */
    final Map<String, BackendSession> openBackends = new ConcurrentHashMap<>();
    /** The client's open GET stream, where server-initiated messages go; at most one is used. */
    volatile HttpServerResponse stream;
    /** A list_changed is owed but the stream's write queue was full; sent once it drains. */
    private final AtomicBoolean listChangedPending = new AtomicBoolean();

    public ClientSession(String id, String protocolVersion, JsonNode clientInfo, String principal, long createdAt) {
        this.id = id;
        this.protocolVersion = protocolVersion;
        this.clientInfo = clientInfo;
        this.principal = principal;
        this.createdAt = createdAt;
        this.touchedAt = System.currentTimeMillis();
    }

    public String id() {
        return id;
    }

    public String protocolVersion() {
        return protocolVersion;
    }

    public JsonNode clientInfo() {
        return clientInfo;
    }

    public String principal() {
        return principal;
    }

    public long createdAt() {
        return createdAt;
    }

    /** The client's open GET stream, or {@code null}. */
    public HttpServerResponse stream() {
        return stream;
    }

    /** Marks a list_changed as owed; returns whether one already was. */
    public boolean markListChangedPending() {
        return listChangedPending.getAndSet(true);
    }

    /** Clears the owed list_changed; returns whether one was owed. */
    public boolean clearListChangedPending() {
        return listChangedPending.getAndSet(false);
    }

    /** A backend session held for this client. */
    public record BackendSession(String url, String sessionId, String protocolVersion) {
    }
}
