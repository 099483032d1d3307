package dev.manifold.it.support;

import dev.manifold.runtime.SseParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.List;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One MCP session spoken as plain JSON-RPC over HTTP, so a test can carry the session id from one broker process
 * to another (the SDK CLI opens a new session per run). Answers are JSON; SSE answers are not expected from the
 * broker for these methods.
 */
public final class RawMcpSession {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final String sessionId;
    private final String authorization;
    private final AtomicInteger ids = new AtomicInteger();

    private RawMcpSession(String sessionId, String authorization) {
        this.sessionId = sessionId;
        this.authorization = authorization;
    }

    /** Initializes a session at {@code mcpUrl} and sends notifications/initialized. */
    public static RawMcpSession initialize(String mcpUrl) {
        return initialize(mcpUrl, null);
    }

    /** Initializes a session whose every request carries {@code authorization} (none when null). */
    public static RawMcpSession initialize(String mcpUrl, String authorization) {
        HttpResponse<String> response = post(mcpUrl, null, authorization, "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":"
                + "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"it\",\"version\":\"1\"}}}");
        if (response.statusCode() != 200) {
            throw new AssertionError("initialize answered " + response.statusCode() + ": " + response.body());
        }
        String sid = response.headers().firstValue("Mcp-Session-Id")
                .orElseThrow(() -> new AssertionError("initialize returned no Mcp-Session-Id"));
        RawMcpSession session = new RawMcpSession(sid, authorization);
        post(mcpUrl, sid, authorization, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
        return session;
    }

    public String sessionId() {
        return sessionId;
    }

    /** The JSON body, or for an SSE answer the data of its last event (the response ends the stream). */
    private static String lastMessage(HttpResponse<String> response) {
        String type = response.headers().firstValue("Content-Type").orElse("");
        if (!type.startsWith("text/event-stream")) {
            return response.body();
        }
        List<String> messages = SseParser.messages(response.body());
        return messages.isEmpty() ? response.body() : messages.get(messages.size() - 1);
    }

    /** Sends one request with this session at {@code mcpUrl}; returns HTTP status and JSON body (or last SSE event). */
    public Reply request(String mcpUrl, String method, String paramsJson) {
        String body = "{\"jsonrpc\":\"2.0\",\"id\":" + ids.incrementAndGet() + ",\"method\":\"" + method + "\",\"params\":" + paramsJson + "}";
        HttpResponse<String> response = post(mcpUrl, sessionId, authorization, body);
        try {
            return new Reply(response.statusCode(), MAPPER.readTree(lastMessage(response)));
        } catch (IOException e) {
            throw new AssertionError("not JSON (" + response.statusCode() + "): " + response.body(), e);
        }
    }

    /** DELETE /mcp for this session; returns the HTTP status. */
    public int delete(String mcpUrl) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(mcpUrl)).timeout(Duration.ofSeconds(30))
                .header("Mcp-Session-Id", sessionId).DELETE().build();
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            throw new IllegalStateException("DELETE " + mcpUrl + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** tools/call with arguments given as JSON. */
    public Reply call(String mcpUrl, String tool, String argumentsJson) {
        return request(mcpUrl, "tools/call", "{\"name\":\"" + tool + "\",\"arguments\":" + argumentsJson + "}");
    }

    /** A JSON-RPC answer. */
    public record Reply(int status, JsonNode body) {
        public JsonNode result() {
            return body.path("result");
        }

        public boolean ok() {
            return status == 200 && body.has("result") && !body.path("result").path("isError").asBoolean(false);
        }
    }

    private static HttpResponse<String> post(String url, String sid, String authorization, String body) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (sid != null) {
            builder.header("Mcp-Session-Id", sid);
        }
        if (authorization != null) {
            builder.header("Authorization", authorization);
        }
        try {
            return HTTP.send(builder.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException("POST " + url + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
