package dev.manifold.proxy.http;

import io.vertx.core.json.JsonObject;

/** JSON-RPC error bodies the proxy-runner answers with itself (never a backend's). */
final class JsonRpcErrors {

    static final int PARSE_ERROR = -32700;
    static final int INVALID_REQUEST = -32600;
    /** Used by the MCP SDKs for "session not found"; clients re-initialize on 404. */
    static final int SESSION_NOT_FOUND = -32001;
    static final int SERVER_ERROR = -32000;

    private JsonRpcErrors() {
    }

    static String body(Object id, int code, String message) {
        return new JsonObject()
                .put("jsonrpc", "2.0")
                .put("id", id)
                .put("error", new JsonObject().put("code", code).put("message", message))
                .encode();
    }
}
