package dev.manifold.it.proxy;

import dev.manifold.runtime.SseParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.List;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A Streamable HTTP MCP client (protocol 2025-06-18) speaking to one endpoint, enough for the routing tests:
 * initialize + notifications/initialized, tools/call, and reading JSON or SSE answers.
 */
final class McpClient {

    static final String PROTOCOL = "2025-06-18";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private static final AtomicLong IDS = new AtomicLong();

    /** An HTTP answer: status, session header and body text. */
    record Answer(int status, String sessionId, String body, long millis, String retryAfter) {
        /** The JSON-RPC message in the body (plain JSON or the first SSE {@code data:} event). */
        JsonNode message() {
            try {
                if (body.trim().startsWith("{")) {
                    return JSON.readTree(body);
                }
                List<String> messages = SseParser.messages(body);
                if (messages.isEmpty()) {
                    throw new IllegalStateException("no JSON-RPC message in: " + body);
                }
                return JSON.readTree(messages.get(0));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private McpClient() {
    }

    static Answer post(String url, String sessionId, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .header("Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (sessionId != null) {
            b.header("Mcp-Session-Id", sessionId).header("MCP-Protocol-Version", PROTOCOL);
        }
        return send(b.build());
    }

    static Answer send(HttpRequest request) {
        long start = System.nanoTime();
        try {
            HttpResponse<String> r = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
            return new Answer(r.statusCode(), r.headers().firstValue("Mcp-Session-Id").orElse(null), r.body(),
                    (System.nanoTime() - start) / 1_000_000, r.headers().firstValue("Retry-After").orElse(null));
        } catch (IOException e) {
            throw new UncheckedIOException("request to " + request.uri() + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static String initializeBody() {
        return "{\"jsonrpc\":\"2.0\",\"id\":" + IDS.incrementAndGet() + ",\"method\":\"initialize\",\"params\":"
                + "{\"protocolVersion\":\"" + PROTOCOL + "\",\"capabilities\":{},"
                + "\"clientInfo\":{\"name\":\"manifold-proxy-it\",\"version\":\"1\"}}}";
    }

    /** Opens a session and returns the id the client sees; fails unless both steps succeed. */
    static String openSession(String url) {
        Answer init = post(url, null, initializeBody());
        if (init.status() != 200 || init.sessionId() == null) {
            throw new IllegalStateException("initialize answered " + init.status() + ": " + init.body());
        }
        Answer initialized = post(url, init.sessionId(), "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
        if (initialized.status() != 202) {
            throw new IllegalStateException("notifications/initialized answered " + initialized.status() + ": "
                    + initialized.body());
        }
        return init.sessionId();
    }

    static Answer callTool(String url, String sessionId, String tool, String argumentsJson) {
        return post(url, sessionId, "{\"jsonrpc\":\"2.0\",\"id\":" + IDS.incrementAndGet()
                + ",\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool + "\",\"arguments\":" + argumentsJson + "}}");
    }

    /**
     * Which backend process served this session, as that process reports it: server-everything's get-env tool
     * returns its own environment, which holds POD_NAME. Fails if the call did not succeed.
     */
    static String servedBy(String url, String sessionId) {
        Answer answer = callTool(url, sessionId, "get-env", "{}");
        if (answer.status() != 200) {
            throw new IllegalStateException("get-env answered " + answer.status() + ": " + answer.body());
        }
        JsonNode message = answer.message();
        if (message.has("error")) {
            throw new IllegalStateException("get-env failed: " + message);
        }
        try {
            JsonNode env = JSON.readTree(message.path("result").path("content").path(0).path("text").asText());
            return env.path("POD_NAME").asText(null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** tools/call echo; returns the echoed text, failing on any error. */
    static String echo(String url, String sessionId, String text) {
        Answer answer = callTool(url, sessionId, "echo", "{\"message\":\"" + text + "\"}");
        if (answer.status() != 200) {
            throw new IllegalStateException("echo answered " + answer.status() + ": " + answer.body());
        }
        JsonNode message = answer.message();
        if (message.has("error")) {
            throw new IllegalStateException("echo failed: " + message);
        }
        return message.path("result").path("content").path(0).path("text").asText();
    }
}
