package dev.manifold.broker.mcp;

import java.util.List;

/** Protocol constants shared by the client-facing endpoint and the backend side. */
public final class McpProtocol {

    /** Stateful Streamable HTTP versions the broker speaks, oldest first. */
    public static final List<String> SUPPORTED_VERSIONS = List.of("2025-03-26", "2025-06-18", "2025-11-25");

    /** The stateless protocol revision: no initialize, no session, per-request _meta, routing headers. */
    public static final String STATELESS = "2026-07-28";

    /** Every version the broker serves to clients, oldest first. */
    public static final List<String> ALL_VERSIONS = List.of("2025-03-26", "2025-06-18", "2025-11-25", STATELESS);

    public static final String META_PROTOCOL_VERSION = "io.modelcontextprotocol/protocolVersion";
    public static final String META_CLIENT_CAPABILITIES = "io.modelcontextprotocol/clientCapabilities";
    public static final String META_CLIENT_INFO = "io.modelcontextprotocol/clientInfo";

    /** The version the broker offers when the peer asks for one it does not know. */
    public static final String LATEST = "2025-11-25";

    /** JSON-RPC error codes. */
    public static final int PARSE_ERROR = -32700;
    public static final int INVALID_REQUEST = -32600;
    public static final int METHOD_NOT_FOUND = -32601;
    public static final int INVALID_PARAMS = -32602;
    public static final int INTERNAL_ERROR = -32603;
    /** Server error range: the backend owning the request could not be reached. */
    public static final int BACKEND_UNAVAILABLE = -32002;
    /** Server error range: the session id is unknown (sent with HTTP 404). */
    public static final int SESSION_NOT_FOUND = -32001;
    /** MCP: resource not found. */
    public static final int RESOURCE_NOT_FOUND = -32002;
    /** 2026-07-28: routing headers missing or not matching the body (HTTP 400). */
    public static final int HEADER_MISMATCH = -32020;
    /** 2026-07-28: the requested protocol version is not supported (HTTP 400, data: requested, supported). */
    public static final int UNSUPPORTED_PROTOCOL_VERSION = -32022;

    private McpProtocol() {
    }

    /** The name a request addresses, mirrored in {@code Mcp-Name}: params.name or params.uri; else null. */
    public static String nameOf(String method, com.fasterxml.jackson.databind.JsonNode params) {
        if (params == null) {
            return null;
        }
        return switch (method) {
            case "tools/call", "prompts/get" -> params.path("name").isTextual() ? params.get("name").asText() : null;
            case "resources/read", "resources/subscribe", "resources/unsubscribe" ->
                    params.path("uri").isTextual() ? params.get("uri").asText() : null;
            default -> null;
        };
    }

    /** The version to answer with: the requested one if supported, else the latest. */
    public static String negotiate(String requested) {
        return requested != null && SUPPORTED_VERSIONS.contains(requested) ? requested : LATEST;
    }
}
