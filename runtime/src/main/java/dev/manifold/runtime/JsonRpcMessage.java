package dev.manifold.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Optional;

/**
 * One JSON-RPC 2.0 message, classified once: a {@link Request}, a {@link Notification}, a {@link Response} or an
 * {@link ErrorResponse}. The message itself ({@link #raw()}) is kept untouched, so a gateway can pass {@code params}
 * and {@code result} through byte for byte; the records only name what routing needs. This replaces ad-hoc
 * {@code path("method")} / {@code has("id")} probes: each kind is decided in one place, by one rule.
 *
 * <ul>
 *   <li>an object with a string {@code method} is a request when it has an {@code id}, else a notification;</li>
 *   <li>an object without a {@code method} is a response when it has {@code result}, an error response when it has
 *       {@code error}; a missing {@code id} reads as JSON null (an answer to nothing this side sent), so an
 *       answer is recognised as one even when a peer left its id out;</li>
 *   <li>anything else (not an object, a method that is not a string, neither method nor result nor error) is not a
 *       JSON-RPC message.</li>
 * </ul>
 */
public sealed interface JsonRpcMessage
        permits JsonRpcMessage.Request, JsonRpcMessage.Notification, JsonRpcMessage.Response, JsonRpcMessage.ErrorResponse {

    /** The message as received. */
    ObjectNode raw();

    /** The id of a request or an answer (JSON null for an answer without one); {@code null} for a notification. */
    default JsonNode id() {
        return null;
    }

    /** The method of a request or a notification; {@code null} for an answer. */
    default String method() {
        return null;
    }

    /** A request: it expects an answer with the same id. */
    record Request(ObjectNode raw, JsonNode id, String method) implements JsonRpcMessage {
        /** The params as sent, or {@code null}. */
        public JsonNode params() {
            return raw.get("params");
        }
    }

    /** A notification: a method without an id; nobody answers it. */
    record Notification(ObjectNode raw, String method) implements JsonRpcMessage {
        public JsonNode params() {
            return raw.get("params");
        }
    }

    /** A successful answer to the request with the same id. */
    record Response(ObjectNode raw, JsonNode id) implements JsonRpcMessage {
        public JsonNode result() {
            return raw.get("result");
        }
    }

    /** An error answer; {@code id} is JSON null when the request could not be read. */
    record ErrorResponse(ObjectNode raw, JsonNode id) implements JsonRpcMessage {
        /** The error code, or 0 when the error object has none. */
        public int code() {
            return raw.path("error").path("code").asInt(0);
        }

        public String message() {
            return raw.path("error").path("message").asText("");
        }
    }

    /** Classifies one message; empty when it is not a JSON-RPC message at all. */
    static Optional<JsonRpcMessage> of(JsonNode node) {
        if (!(node instanceof ObjectNode object)) {
            return Optional.empty();
        }
        JsonNode method = object.get("method");
        JsonNode id = object.get("id");
        if (method != null) {
            if (!method.isTextual()) {
                return Optional.empty();
            }
            return Optional.of(id == null ? new Notification(object, method.asText()) : new Request(object, id, method.asText()));
        }
        JsonNode answered = id == null ? NullNode.getInstance() : id;
        if (object.has("result")) {
            return Optional.of(new Response(object, answered));
        }
        if (object.has("error")) {
            return Optional.of(new ErrorResponse(object, answered));
        }
        return Optional.empty();
    }

    /** Whether {@code node} answers (with a result or an error) the request whose id is {@code requestId}. */
    static boolean answers(JsonNode node, JsonNode requestId) {
        if (requestId == null) {
            return false;
        }
        return of(node).map(m -> (m instanceof Response || m instanceof ErrorResponse) && requestId.equals(m.id()))
                .orElse(false);
    }

    /** Whether {@code node} is an answer (result or error) rather than a request or a notification. */
    static boolean isAnswer(JsonNode node) {
        return of(node).map(m -> m instanceof Response || m instanceof ErrorResponse).orElse(false);
    }

    /**
     * An id as a plain Java value for writers that are not Jackson (Vert.x {@code JsonObject}): a string, a
     * {@code Long}/{@code BigInteger}/{@code Double}, or {@code null} for a missing, null or non-scalar id.
     */
    static Object plainId(JsonNode id) {
        if (id == null || id.isNull() || id.isContainerNode()) {
            return null;
        }
        if (id.isTextual()) {
            return id.asText();
        }
        if (id.isIntegralNumber()) {
            return id.canConvertToLong() ? (Object) id.asLong() : id.bigIntegerValue();
        }
        return id.isNumber() ? id.doubleValue() : id.asText();
    }
}
