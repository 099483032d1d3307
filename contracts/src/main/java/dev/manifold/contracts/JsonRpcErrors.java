package dev.manifold.contracts;

/**
 * Every JSON-RPC error code Manifold answers with itself, in one table (docs/protocol.md, "Error codes"). A code
 * means one thing: a client can tell "the server behind the gateway is down" from "no such resource".
 */
public final class JsonRpcErrors {

    /** JSON-RPC: the body is not JSON. */
    public static final int PARSE_ERROR = -32700;
    /** JSON-RPC: not a valid request (no method, a batch, a missing session header...). */
    public static final int INVALID_REQUEST = -32600;
    /** JSON-RPC: no such method. */
    public static final int METHOD_NOT_FOUND = -32601;
    /** JSON-RPC: invalid params. */
    public static final int INVALID_PARAMS = -32602;
    /** JSON-RPC: an internal error. */
    public static final int INTERNAL_ERROR = -32603;
    /** The gateway cannot serve the request now (no ready pod, session store unreachable); retry after a while. */
    public static final int SERVER_ERROR = -32000;
    /** The session id is unknown or was deleted (sent with HTTP 404; the MCP SDKs then re-initialize). */
    public static final int SESSION_NOT_FOUND = -32001;
    /** MCP: the resource a {@code resources/read} names does not exist. */
    public static final int RESOURCE_NOT_FOUND = -32002;
    /**
     * The server that owns the request is unavailable: not Ready, unreachable, or it did not answer within the
     * call timeout. Manifold's own code; before 0.2 it was -32002, which MCP gives to "resource not found".
     */
    public static final int BACKEND_UNAVAILABLE = -32010;
    /**
     * OAuth resource-server mode: no bearer token, or one that does not verify (HTTP 401, with the
     * {@code WWW-Authenticate} challenge naming the protected-resource metadata).
     */
    public static final int UNAUTHORIZED = -32011;
    /** OAuth resource-server mode: the token lacks a required scope (HTTP 403, {@code insufficient_scope}). */
    public static final int FORBIDDEN = -32012;
    /**
     * A per-session limit is reached: requests in flight, or (toward a backend) pending server-to-client requests
     * (HTTP 429 to a client; the limit's name is in the message).
     */
    public static final int TOO_MANY_REQUESTS = -32013;
    /** 2026-07-28: the routing headers are missing or do not match the body (HTTP 400). */
    public static final int HEADER_MISMATCH = -32020;
    /** 2026-07-28: the requested protocol version is not supported (HTTP 400, data: requested, supported). */
    public static final int UNSUPPORTED_PROTOCOL_VERSION = -32022;

    private JsonRpcErrors() {
    }
}
