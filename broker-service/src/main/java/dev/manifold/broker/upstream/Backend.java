package dev.manifold.broker.upstream;

import dev.manifold.contracts.McpVersions;
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
    /** Prompts, resources and resource templates from the last successful listings (empty without the capability). */
    volatile List<ObjectNode> prompts = List.of();
    volatile List<ObjectNode> resources = List.of();
    volatile List<ObjectNode> templates = List.of();
    volatile String discoverySessionId;
    volatile String protocolVersion;
    volatile JsonNode capabilities;
    volatile boolean closed;
    /** Whether the backend answered the broker's last listing with an SSE stream rather than JSON. */
    volatile boolean streams;
    /** Set while a connect loop runs, so a backend never has two. */
    final java.util.concurrent.atomic.AtomicBoolean connecting = new java.util.concurrent.atomic.AtomicBoolean();
    /** Sequence of connect attempts; a late result of a superseded (timed-out) attempt is ignored. */
    final java.util.concurrent.atomic.AtomicInteger attempts = new java.util.concurrent.atomic.AtomicInteger();
    /** Closes the backend's GET stream, where it announces its own list changes; null when none is open. */
    volatile Runnable changeStream;
    /** Whether the backend answered GET with a stream at least once (a 405 backend is not asked again). */
    volatile boolean streamOffered = true;
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

    public List<ObjectNode> prompts() {
        return prompts;
    }

    public List<ObjectNode> resources() {
        return resources;
    }

    public List<ObjectNode> templates() {
        return templates;
    }

    /** The capabilities the backend declared in its initialize result; empty until it connected once. */
    public JsonNode capabilities() {
        JsonNode caps = capabilities;
        return caps == null ? com.fasterxml.jackson.databind.node.MissingNode.getInstance() : caps;
    }

    /** Whether the backend declared this capability (tools, prompts, resources, logging, completions). */
    public boolean offers(String capability) {
        JsonNode caps = capabilities;
        return caps != null && caps.has(capability) && !caps.get(capability).isNull();
    }

    /** The session the broker itself holds with the backend (discovery, probes, stateless clients' calls). */
    public String discoverySessionId() {
        return discoverySessionId;
    }

    /** Whether the backend answers requests with SSE streams (seen on its last listing). */
    public boolean streams() {
        return streams;
    }

    /** Whether the backend speaks only the stateless 2026-07-28 protocol. */
    public boolean stateless() {
        return McpVersions.STATELESS.equals(protocolVersion);
    }

    public String protocolVersion() {
        return protocolVersion;
    }

    public boolean isClosed() {
        return closed;
    }
}
