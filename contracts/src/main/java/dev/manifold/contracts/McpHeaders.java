package dev.manifold.contracts;

/** The HTTP headers of MCP's Streamable HTTP transport, as the broker and the proxy-runner send and read them. */
public final class McpHeaders {

    /** The session a request belongs to, issued by the server in its answer to {@code initialize}. */
    public static final String SESSION_ID = "Mcp-Session-Id";
    /** The protocol version a request is written in (2025-06-18 and later). */
    public static final String PROTOCOL_VERSION = "MCP-Protocol-Version";
    /** 2026-07-28: the JSON-RPC method, mirrored for intermediaries. */
    public static final String METHOD = "Mcp-Method";
    /** 2026-07-28: the name or URI the request addresses ({@link McpVersions#nameOf}), mirrored for intermediaries. */
    public static final String NAME = "Mcp-Name";
    /** Resumes an SSE stream after the last event the client saw. */
    public static final String LAST_EVENT_ID = "Last-Event-ID";

    private McpHeaders() {
    }
}
