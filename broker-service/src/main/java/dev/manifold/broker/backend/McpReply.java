package dev.manifold.broker.backend;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A backend's answer to one JSON-RPC message.
 *
 * @param status    HTTP status
 * @param sessionId the {@code Mcp-Session-Id} the backend returned, if any
 * @param message   the JSON-RPC response whose id matches the request; {@code null} for a notification (202)
 * @param streamed  whether it came on an SSE stream rather than as a JSON body
 */
public record McpReply(int status, String sessionId, JsonNode message, boolean streamed) {

    public McpReply(int status, String sessionId, JsonNode message) {
        this(status, sessionId, message, false);
    }

    /** The {@code result} member, or {@code null} when the backend answered with an error. */
    public JsonNode result() {
        return message == null ? null : message.get("result");
    }

    /** The {@code error} member, or {@code null}. */
    public JsonNode error() {
        return message == null ? null : message.get("error");
    }
}
