package dev.manifold.broker.backend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.manifold.contracts.GatewayConfigCodec;
import dev.manifold.contracts.ServerEntry;

import java.util.List;

/**
 * One configured backend: its config entry, its health, the session the broker uses to discover and probe it,
 * and the tools it last listed. Identity is {@link #key()}: server id plus the hash of its config entry, so a
 * changed entry is a new backend and an unchanged one is left alone.
 */
public final class Backend {
    private final ServerEntry entry;
    private final String entryHash;

    volatile BackendState state = BackendState.PENDING;
    volatile String lastError;
    /** When the current state began, epoch milliseconds. */
    volatile long stateSince = System.currentTimeMillis();
    volatile int consecutiveFailures;
    /** Tools from the last successful listing, original names; kept while unhealthy so names stay stable. */
    volatile List<ObjectNode> tools = List.of();
    volatile String discoverySessionId;
    volatile String protocolVersion;
    volatile JsonNode capabilities;
    volatile boolean closed;
    /** Set while a connect loop runs, so a backend never has two. */
    final java.util.concurrent.atomic.AtomicBoolean connecting = new java.util.concurrent.atomic.AtomicBoolean();
    /** Sequence of connect attempts; a late result of a superseded (timed-out) attempt is ignored. */
    final java.util.concurrent.atomic.AtomicInteger attempts = new java.util.concurrent.atomic.AtomicInteger();
    /** Pending Vert.x timer (probe or quarantine re-probe), or -1. */
    volatile long timerId = -1;

    Backend(ServerEntry entry) {
        this.entry = entry;
        this.entryHash = GatewayConfigCodec.entryHash(entry);
    }

    public String id() {
        return entry.id();
    }

    public ServerEntry entry() {
        return entry;
    }

    public String entryHash() {
        return entryHash;
    }

    /** Unique per id and config content. */
    public String key() {
        return entry.id() + "@" + entryHash;
    }

    public BackendState state() {
        return state;
    }

    public String lastError() {
        return lastError;
    }

    public long stateSince() {
        return stateSince;
    }

    public List<ObjectNode> tools() {
        return tools;
    }

    public String protocolVersion() {
        return protocolVersion;
    }

    public boolean isClosed() {
        return closed;
    }
}
