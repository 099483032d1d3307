package dev.manifold.broker.upstream;

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

    /**
     * The failure of a request answered with a JSON-RPC error instead of a result. An error sent with a 5xx status
     * (the proxy-runner's 503 + Retry-After when a workload has no ready pod, for one) is transient and says why;
     * any other error is the backend's considered answer, which retrying soon will not change.
     */
    public BackendException failure(String url, String what) {
        JsonNode error = error();
        if (status >= 500) {
            String why = error != null && error.path("message").isTextual() ? error.path("message").asText() : String.valueOf(error);
            return new BackendException(BackendException.Kind.HTTP_ERROR, status,
                    url + " answered HTTP " + status + " to " + what + ": " + why);
        }
        return new BackendException(BackendException.Kind.PROTOCOL, status, url + " failed " + what + ": " + error);
    }
}
