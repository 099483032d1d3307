package dev.manifold.broker.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Builds JSON-RPC 2.0 messages. */
public final class JsonRpc {
    private JsonRpc() {
    }

    public static ObjectNode result(JsonNode id, JsonNode result) {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("jsonrpc", "2.0");
        node.set("id", id == null ? JsonNodeFactory.instance.nullNode() : id);
        node.set("result", result);
        return node;
    }

    public static ObjectNode error(JsonNode id, int code, String message) {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("jsonrpc", "2.0");
        node.set("id", id == null ? JsonNodeFactory.instance.nullNode() : id);
        ObjectNode error = node.putObject("error");
        error.put("code", code);
        error.put("message", message);
        return node;
    }

    /** A backend's JSON-RPC answer re-addressed to the client's request id, otherwise untouched. */
    public static ObjectNode readdress(JsonNode backendMessage, JsonNode clientId) {
        ObjectNode node = ((ObjectNode) backendMessage).deepCopy();
        node.set("id", clientId == null ? JsonNodeFactory.instance.nullNode() : clientId);
        return node;
    }

    public static ObjectNode notification(String method) {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("jsonrpc", "2.0");
        node.put("method", method);
        return node;
    }

    /** {@code notifications/cancelled} for the request {@code requestId} (as its receiver knows it); reason optional. */
    public static ObjectNode cancelled(JsonNode requestId, String reason) {
        ObjectNode node = notification("notifications/cancelled");
        ObjectNode params = node.putObject("params");
        params.set("requestId", requestId);
        if (reason != null) {
            params.put("reason", reason);
        }
        return node;
    }
}
