package dev.manifold.broker.mcp;

import java.util.List;

/** Protocol constants shared by the client-facing endpoint and the backend side. */
public final class McpProtocol {

    /** Stateful Streamable HTTP versions the broker speaks, oldest first. */
    public static final List<String> SUPPORTED_VERSIONS = List.of("2025-03-26", "2025-06-18", "2025-11-25");

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

    private McpProtocol() {
    }

    /** The version to answer with: the requested one if supported, else the latest. */
    public static String negotiate(String requested) {
        return requested != null && SUPPORTED_VERSIONS.contains(requested) ? requested : LATEST;
    }
}
