package dev.manifold.broker.session;

import com.fasterxml.jackson.databind.JsonNode;
import io.smallrye.mutiny.Uni;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

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
    /** The session's GET stream, where server-initiated messages not tied to a request go; null until opened. */
    volatile EventStream standalone;
    /** SSE streams answering this session's POSTs, by stream id, kept until delivered (for resumption). */
    final Map<String, EventStream> streams = new ConcurrentHashMap<>();
    final AtomicLong streamIds = new AtomicLong();
    /** list_changed kinds owed because the stream's write queue was full; sent once it drains. */
    private final Set<String> listChangedPending = ConcurrentHashMap.newKeySet();
    /** Open backend GET streams for this session, by backend key: closes them. */
    final Map<String, Runnable> backendStreams = new ConcurrentHashMap<>();
    /** Server-to-client requests waiting for the client's answer, by the id the client saw. */
    public final Map<String, PendingServerRequest> pending = new ConcurrentHashMap<>();
    /**
     * The ids (as the client saw them) of the latest server-to-client requests that timed out here: the backend
     * already got an error and the client a cancellation, so a late answer from the client is dropped. Bounded.
     */
    private final Set<String> expired = Collections.newSetFromMap(new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > EXPIRED_KEPT;
        }
    });
    private static final int EXPIRED_KEPT = 64;
    /** The client's requests in flight at backends, by the client's id (as JSON text): for cancellation. */
    public final Map<String, InFlight> inFlight = new ConcurrentHashMap<>();
    /** Progress tokens sent to backends, mapped back to the client's own token. */
    public final Map<String, JsonNode> progressTokens = new ConcurrentHashMap<>();
    private final JsonNode capabilities;
    /**
     * The Authorization of the latest request of this session's caller, in memory only (never in Redis): what the
     * broker's own messages within the session (a DELETE, an answer it gives a backend itself) carry to a server
     * with authPassthrough or tokenExchange. Each client request carries its own.
     */
    private volatile dev.manifold.broker.credentials.ClientToken clientToken;

    public ClientSession(String id, String protocolVersion, JsonNode clientInfo, String principal, long createdAt) {
        this(id, protocolVersion, clientInfo, null, principal, createdAt);
    }

    public ClientSession(String id, String protocolVersion, JsonNode clientInfo, JsonNode capabilities, String principal,
                         long createdAt) {
        this.id = id;
        this.protocolVersion = protocolVersion;
        this.clientInfo = clientInfo;
        this.capabilities = capabilities;
        this.principal = principal;
        this.createdAt = createdAt;
        this.touchedAt = System.currentTimeMillis();
    }

    /** The client token of this session's latest request ({@link dev.manifold.broker.credentials.ClientToken#of}). */
    public dev.manifold.broker.credentials.ClientToken clientToken() {
        dev.manifold.broker.credentials.ClientToken token = clientToken;
        return token != null ? token : dev.manifold.broker.credentials.ClientToken.of(null, null);
    }

    /** Remembers the client token of a request of this session's caller. */
    public void clientToken(dev.manifold.broker.credentials.ClientToken token) {
        this.clientToken = token;
    }

    /** Records that the server-to-client request the client knows as {@code exposedId} timed out. */
    public void expired(String exposedId) {
        synchronized (expired) {
            expired.add(exposedId);
        }
    }

    /** Whether the server-to-client request the client knows as {@code exposedId} timed out here lately. */
    public boolean hasExpired(String exposedId) {
        synchronized (expired) {
            return expired.contains(exposedId);
        }
    }

    /** The capabilities the client declared at initialize (passed on to its backend sessions); may be null. */
    public JsonNode capabilities() {
        return capabilities;
    }

    /** A server-to-client request relayed to the client: which backend asked, and its own id. */
    public record PendingServerRequest(String serverId, JsonNode originalId, long timerId) {
    }

    /** A client request forwarded to a backend: where, and under which id. */
    public record InFlight(String serverId, String backendKey, JsonNode backendId) {
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

    /** The session's GET stream, or {@code null}. */
    public EventStream standalone() {
        return standalone;
    }

    /** Marks a list_changed of this kind as owed; returns whether it already was. */
    public boolean markListChangedPending(String kind) {
        return !listChangedPending.add(kind);
    }

    /** Takes the owed list_changed kinds. */
    public Set<String> takeListChangedPending() {
        Set<String> owed = new java.util.TreeSet<>();
        for (String kind : Set.copyOf(listChangedPending)) {
            if (listChangedPending.remove(kind)) {
                owed.add(kind);
            }
        }
        return owed;
    }

    /** A backend session held for this client. */
    public record BackendSession(String url, String sessionId, String protocolVersion) {
    }
}
