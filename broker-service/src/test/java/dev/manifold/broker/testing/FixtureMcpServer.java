package dev.manifold.broker.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small, real MCP Streamable HTTP server for tests: stateful (it rejects session ids it did not issue with
 * 404), pages its tools/list two at a time, answers tools/call for its tools, and counts every request it gets
 * so tests can assert what reached it. It can answer with JSON or SSE, and can be stopped and restarted on
 * the same port.
 */
public final class FixtureMcpServer implements AutoCloseable {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final String name;
    private volatile List<String> tools;
    private final Set<io.vertx.core.http.HttpServerResponse> streams = ConcurrentHashMap.newKeySet();
    private final boolean sse;
    private final Vertx vertx;
    private final Set<String> sessions = ConcurrentHashMap.newKeySet();
    private final Map<String, AtomicInteger> requestsByMethod = new ConcurrentHashMap<>();
    private final AtomicInteger requests = new AtomicInteger();
    private volatile HttpServer server;
    /** When set, every other ping is answered with HTTP 503, like a flapping backend. */
    private volatile boolean flapping;
    private volatile boolean unknownSessionAs400;
    private final AtomicInteger pings = new AtomicInteger();
    private volatile int port;

    public FixtureMcpServer(Vertx vertx, String name, List<String> tools, boolean sse) {
        this.vertx = vertx;
        this.name = name;
        this.tools = List.copyOf(tools);
        this.sse = sse;
    }

    /** Starts on a free port (or the previous port after {@link #stop()}). */
    public synchronized FixtureMcpServer start() {
        if (server != null) {
            return this; // already running (Vert.x would otherwise share the port between two servers)
        }
        HttpServer created = vertx.createHttpServer().requestHandler(this::handle);
        try {
            server = created.listen(port).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("fixture " + name + " failed to listen", e);
        }
        port = server.actualPort();
        return this;
    }

    /** Stops listening and forgets every session, like a restarted process. */
    public synchronized void stop() {
        HttpServer s = server;
        server = null;
        sessions.clear();
        streams.forEach(stream -> stream.reset());
        streams.clear();
        if (s != null) {
            try {
                s.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException("fixture " + name + " failed to stop", e);
            }
        }
    }

    @Override
    public void close() {
        stop();
    }

    public String url() {
        return "http://127.0.0.1:" + port + "/mcp";
    }

    public int port() {
        return port;
    }

    /** Answer an unknown session like TypeScript-SDK servers do: HTTP 400 "No valid session ID provided". */
    public void unknownSessionAs400(boolean on) {
        this.unknownSessionAs400 = on;
    }

    public void flapping(boolean on) {
        this.flapping = on;
    }

    /** Replaces the tool list and announces it with notifications/tools/list_changed on every open GET stream. */
    public void changeTools(List<String> next) {
        tools = List.copyOf(next);
        vertx.runOnContext(v -> streams.forEach(stream -> stream.write(
                "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\"}\n\n")));
    }

    /** Open GET streams right now. */
    public int openStreams() {
        return streams.size();
    }

    /** Every HTTP request received since start (any method). */
    public int requests() {
        return requests.get();
    }

    /** Requests received for one JSON-RPC method. */
    public int requests(String method) {
        AtomicInteger n = requestsByMethod.get(method);
        return n == null ? 0 : n.get();
    }

    private void handle(HttpServerRequest request) {
        requests.incrementAndGet();
        if (!"/mcp".equals(request.path())) {
            request.response().setStatusCode(404).end();
            return;
        }
        switch (request.method().name()) {
            case "DELETE" -> {
                String sid = request.getHeader("Mcp-Session-Id");
                request.response().setStatusCode(sid != null && sessions.remove(sid) ? 200 : 404).end();
            }
            case "GET" -> {
                String sid = request.getHeader("Mcp-Session-Id");
                if (sid == null || !sessions.contains(sid)) {
                    request.response().setStatusCode(sid == null ? 400 : 404).end();
                    return;
                }
                io.vertx.core.http.HttpServerResponse stream = request.response().setChunked(true)
                        .putHeader("Content-Type", "text/event-stream");
                stream.write(": open\n\n");
                streams.add(stream);
                stream.closeHandler(v -> streams.remove(stream));
            }
            case "POST" -> request.body().onSuccess(body -> {
                JsonNode message;
                try {
                    message = MAPPER.readTree(body.getBytes());
                } catch (Exception e) {
                    request.response().setStatusCode(400).end();
                    return;
                }
                String method = message.path("method").asText("");
                requestsByMethod.computeIfAbsent(method, m -> new AtomicInteger()).incrementAndGet();
                post(request, method, message);
            });
            default -> request.response().setStatusCode(405).end();
        }
    }

    private void post(HttpServerRequest request, String method, JsonNode message) {
        String sid = request.getHeader("Mcp-Session-Id");
        if ("initialize".equals(method)) {
            String newSid = UUID.randomUUID().toString();
            sessions.add(newSid);
            ObjectNode result = MAPPER.createObjectNode();
            result.put("protocolVersion", message.path("params").path("protocolVersion").asText("2025-06-18"));
            result.putObject("capabilities").putObject("tools").put("listChanged", true);
            result.putObject("serverInfo").put("name", name).put("version", "1.0.0");
            request.response().putHeader("Mcp-Session-Id", newSid);
            answer(request, message.get("id"), result);
            return;
        }
        if (sid == null || !sessions.contains(sid)) {
            if (sid == null || unknownSessionAs400) {
                request.response().setStatusCode(400).putHeader("Content-Type", "application/json")
                        .end("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32000,\"message\":\"Bad Request: No valid session ID provided\"}}");
            } else {
                request.response().setStatusCode(404).putHeader("Content-Type", "application/json")
                        .end("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32001,\"message\":\"Session not found\"}}");
            }
            return;
        }
        if (!message.has("id")) {
            request.response().setStatusCode(202).end();
            return;
        }
        switch (method) {
            case "ping" -> {
                if (flapping && pings.incrementAndGet() % 2 == 0) {
                    request.response().setStatusCode(503).end();
                } else {
                    answer(request, message.get("id"), MAPPER.createObjectNode());
                }
            }
            case "tools/list" -> answer(request, message.get("id"), toolsPage(message.path("params").path("cursor").asText(null)));
            case "tools/call" -> call(request, message);
            default -> {
                ObjectNode error = MAPPER.createObjectNode();
                error.put("jsonrpc", "2.0");
                error.set("id", message.get("id"));
                error.putObject("error").put("code", -32601).put("message", "Method not found: " + method);
                send(request, error);
            }
        }
    }

    private ObjectNode toolsPage(String cursor) {
        int from = cursor == null ? 0 : Integer.parseInt(cursor);
        int to = Math.min(tools.size(), from + 2);
        ObjectNode result = MAPPER.createObjectNode();
        ArrayNode array = result.putArray("tools");
        for (String tool : tools.subList(from, to)) {
            ObjectNode def = array.addObject();
            def.put("name", tool);
            def.put("description", tool + " of " + name);
            def.putObject("inputSchema").put("type", "object").putObject("properties").putObject("message").put("type", "string");
            def.putObject("annotations").put("readOnlyHint", true);
            def.putObject("_meta").put("fixture", name);
        }
        if (to < tools.size()) {
            result.put("nextCursor", Integer.toString(to));
        }
        return result;
    }

    private void call(HttpServerRequest request, JsonNode message) {
        String tool = message.path("params").path("name").asText();
        JsonNode id = message.get("id");
        if (!tools.contains(tool)) {
            ObjectNode error = MAPPER.createObjectNode();
            error.put("jsonrpc", "2.0");
            error.set("id", id);
            error.putObject("error").put("code", -32602).put("message", "Unknown tool: " + tool);
            send(request, error);
            return;
        }
        String text = message.path("params").path("arguments").path("message").asText("");
        ObjectNode result = MAPPER.createObjectNode();
        result.putArray("content").addObject().put("type", "text").put("text", tool + " from " + name + ": " + text);
        result.putObject("structuredContent").put("server", name).put("tool", tool).put("echo", text);
        result.put("isError", tool.startsWith("fail"));
        result.putObject("_meta").put("servedBy", name);
        answer(request, id, result);
    }

    private void answer(HttpServerRequest request, JsonNode id, JsonNode result) {
        ObjectNode response = MAPPER.createObjectNode();
        response.put("jsonrpc", "2.0");
        response.set("id", id);
        response.set("result", result);
        send(request, response);
    }

    private void send(HttpServerRequest request, ObjectNode response) {
        String json = response.toString();
        if (sse) {
            request.response().putHeader("Content-Type", "text/event-stream")
                    .end("event: message\ndata: " + json + "\n\n");
        } else {
            request.response().putHeader("Content-Type", "application/json").end(json);
        }
    }
}
