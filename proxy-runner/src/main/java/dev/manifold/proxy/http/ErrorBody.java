package dev.manifold.proxy.http;

import io.vertx.core.json.JsonObject;

/**
 * The JSON-RPC error bodies the proxy-runner answers with itself (never a backend's); the codes are
 * {@link dev.manifold.contracts.JsonRpcErrors}.
 */
final class ErrorBody {

    private ErrorBody() {
    }

    static String json(Object id, int code, String message) {
        return new JsonObject()
                .put("jsonrpc", "2.0")
                .put("id", id)
                .put("error", new JsonObject().put("code", code).put("message", message))
                .encode();
    }
}
