package dev.manifold.contracts;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;

/** The MCP protocol revisions Manifold speaks, and the {@code _meta} keys of the stateless revision. */
public final class McpVersions {

    /** Stateful Streamable HTTP versions, oldest first. */
    public static final List<String> SUPPORTED = List.of("2025-03-26", "2025-06-18", "2025-11-25");

    /** The stateless protocol revision: no initialize, no session, per-request {@code _meta}, routing headers. */
    public static final String STATELESS = "2026-07-28";

    /** Every version served to clients, oldest first. */
    public static final List<String> ALL = List.of("2025-03-26", "2025-06-18", "2025-11-25", STATELESS);

    /** The version offered when the peer asks for one it does not know. */
    public static final String LATEST = "2025-11-25";

    public static final String META_PROTOCOL_VERSION = "io.modelcontextprotocol/protocolVersion";
    public static final String META_CLIENT_CAPABILITIES = "io.modelcontextprotocol/clientCapabilities";
    public static final String META_CLIENT_INFO = "io.modelcontextprotocol/clientInfo";

    private McpVersions() {
    }

    /** The version to answer with: the requested one if supported, else the latest. */
    public static String negotiate(String requested) {
        return requested != null && SUPPORTED.contains(requested) ? requested : LATEST;
    }

    /** The name a request addresses, mirrored in {@code Mcp-Name}: params.name or params.uri; else null. */
    public static String nameOf(String method, JsonNode params) {
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
}
