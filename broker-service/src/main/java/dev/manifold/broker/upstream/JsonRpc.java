package dev.manifold.broker.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import dev.manifold.contracts.McpVersions;
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

    /** A copy of a request with the 2026-07-28 _meta keys (version, capabilities) added where missing. */
    static JsonNode withStatelessMeta(JsonNode message) {
        com.fasterxml.jackson.databind.node.ObjectNode copy = ((com.fasterxml.jackson.databind.node.ObjectNode) message).deepCopy();
        com.fasterxml.jackson.databind.node.ObjectNode params = copy.get("params") instanceof com.fasterxml.jackson.databind.node.ObjectNode p
                ? p : copy.putObject("params");
        com.fasterxml.jackson.databind.node.ObjectNode meta = params.get("_meta") instanceof com.fasterxml.jackson.databind.node.ObjectNode m
                ? m : params.putObject("_meta");
        if (!meta.has(McpVersions.META_PROTOCOL_VERSION)) {
            meta.put(McpVersions.META_PROTOCOL_VERSION, McpVersions.STATELESS);
        }
        if (!meta.has(McpVersions.META_CLIENT_CAPABILITIES)) {
            meta.putObject(McpVersions.META_CLIENT_CAPABILITIES);
        }
        return copy;
    }
}
