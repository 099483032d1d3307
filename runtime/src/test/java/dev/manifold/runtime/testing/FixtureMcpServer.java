package dev.manifold.runtime.testing;

import dev.manifold.contracts.JsonRpcErrors;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
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
    /** The session ids of every DELETE received, in order. */
    private final List<String> deleted = new CopyOnWriteArrayList<>();
    private final Map<String, AtomicInteger> requestsByMethod = new ConcurrentHashMap<>();
    private final AtomicInteger requests = new AtomicInteger();
    private volatile HttpServer server;
    /** When set, every other ping is answered with HTTP 503, like a flapping backend. */
    private volatile boolean flapping;
    private volatile boolean unknownSessionAs400;
    private final AtomicInteger pings = new AtomicInteger();
    private volatile int port;

    /** Serves prompts, resources (with subscribe), a resource template, completion and logging. */
    private volatile boolean features;
    /** Speaks only the stateless 2026-07-28 protocol: initialize is refused, server/discover answered. */
    private volatile boolean stateless;
    /** GET answers 405: the server offers no server-to-client stream. */
    private volatile boolean noGetStream;
    /** Every JSON-RPC message POSTed, in order, with the routing headers it came with. */
    private final List<Received> received = new CopyOnWriteArrayList<>();
    /** Open SSE answers of the {@code ask} tool, by session and server-request id, waiting for the client's answer. */
    private final Map<String, Pending> asks = new ConcurrentHashMap<>();
    /** The open GET stream of each session (the latest one). */
    private final Map<String, io.vertx.core.http.HttpServerResponse> sessionStreams = new ConcurrentHashMap<>();
    /** Open SSE answers of the {@code hang} tool, by session and request id, waiting for a cancellation. */
    private final Map<String, Pending> hangs = new ConcurrentHashMap<>();
    /** Answers of the {@code hang} tool whose HTTP exchange is still open (neither ended nor its connection closed). */
    private final Set<io.vertx.core.http.HttpServerResponse> openHangs = ConcurrentHashMap.newKeySet();
    /** When set, initialize is never answered (the request stays open), like a server stuck on start-up. */
    private volatile boolean hangInitialize;
    /** Open SSE answers of the {@code slow} tool, answered by {@link #releaseSlow()}. */
    private final List<Pending> slows = new CopyOnWriteArrayList<>();

    /** A message the fixture received: the body, the headers a stateless exchange must carry, and its traceparent. */
    public record Received(JsonNode message, String sessionId, String methodHeader, String nameHeader, String versionHeader,
                           String traceparent) {
        public String method() {
            return message.path("method").asText("");
        }
    }

    private record Pending(io.vertx.core.http.HttpServerResponse response, JsonNode callId) {
    }

    /** What the {@code drop} tool still owes, by session and the last event id it sent. */
    private final Map<String, String> resumable = new ConcurrentHashMap<>();
    private final AtomicInteger resumes = new AtomicInteger();

    /** GETs with a Last-Event-ID the fixture answered by resuming a {@code drop} stream. */
    public int resumes() {
        return resumes.get();
    }

    /** The server-request id the {@code ask} tool uses: the same in every fixture, so ids collide across servers. */
    public static final int ASK_ID = 1;

    public FixtureMcpServer withFeatures() {
        this.features = true;
        return this;
    }

    public FixtureMcpServer stateless() {
        this.stateless = true;
        this.noGetStream = true;
        return this;
    }

    public FixtureMcpServer withoutGetStream() {
        this.noGetStream = true;
        return this;
    }

    /** Every message received so far. */
    public List<Received> received() {
        return List.copyOf(received);
    }

    /** Messages received for one method ("" for responses to the fixture's own requests). */
    public List<Received> received(String method) {
        return received.stream().filter(r -> r.method().equals(method)).toList();
    }

    /** Responses (result or error) the fixture got to its own server-to-client requests. */
    public List<JsonNode> answers() {
        return received.stream().map(Received::message)
                .filter(m -> !m.has("method") && m.has("id") && (m.has("result") || m.has("error"))).toList();
    }

    /** The id the fixture saw on its last tools/call of {@code tool}, or null. */
    public JsonNode lastCallId(String tool) {
        JsonNode id = null;
        for (Received r : received) {
            if ("tools/call".equals(r.method()) && tool.equals(r.message().path("params").path("name").asText())) {
                id = r.message().get("id");
            }
        }
        return id;
    }

    /** Sends notifications/resources/updated for one of its own URIs on every open GET stream. */
    public void pushResourceUpdated(String uri) {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("jsonrpc", "2.0");
        n.put("method", "notifications/resources/updated");
        n.putObject("params").put("uri", uri);
        vertx.runOnContext(v -> streams.forEach(stream -> stream.write("event: message\ndata: " + n + "\n\n")));
    }

    /** Answers every pending {@code slow} call. */
    public void releaseSlow() {
        List<Pending> pending = new ArrayList<>(slows);
        slows.clear();
        vertx.runOnContext(v -> pending.forEach(p -> finish(p, textResult("slow from " + name + ": done", false))));
    }

    /** Pending {@code slow} calls. */
    public int slowPending() {
        return slows.size();
    }

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

    /** Leave every initialize unanswered while on (the backend's own connects and probes keep their session). */
    public void hangInitialize(boolean on) {
        this.hangInitialize = on;
    }

    /** Calls of the {@code hang} tool whose HTTP exchange is still open right now. */
    public int openHangs() {
        return openHangs.size();
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

    /** Whether the session has a GET stream open right now. */
    public boolean streamOpen(String sessionId) {
        return sessionStreams.containsKey(sessionId);
    }

    /** The session ids DELETE was received for, in order. */
    public List<String> deletedSessions() {
        return List.copyOf(deleted);
    }

    /** The session id the fixture saw on its last tools/call of {@code tool}, or null. */
    public String lastCallSession(String tool) {
        String sid = null;
        for (Received r : received) {
            if ("tools/call".equals(r.method()) && tool.equals(r.message().path("params").path("name").asText())) {
                sid = r.sessionId();
            }
        }
        return sid;
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

    private volatile String requiredHeader;
    private volatile String requiredValue;
    private final List<String> credentialsSeen = new java.util.concurrent.CopyOnWriteArrayList<>();

    /**
     * Answers 401 (with {@code WWW-Authenticate: Bearer}) to every request whose {@code header} is not exactly
     * {@code value}, as a remote MCP server that needs a token does; {@code null} turns the check off.
     */
    public FixtureMcpServer requireCredential(String header, String value) {
        this.requiredHeader = header;
        this.requiredValue = value;
        return this;
    }

    /**
     * Every {@code Authorization}, {@code X-Api-Key} and required-header value this server was sent, in order, so a
     * test can tell which credentials reached which backend.
     */
    public List<String> credentialsSeen() {
        return List.copyOf(credentialsSeen);
    }

    private void handle(HttpServerRequest request) {
        requests.incrementAndGet();
        java.util.Set<String> recorded = new java.util.TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        recorded.addAll(List.of("Authorization", "X-Api-Key"));
        String header = requiredHeader;
        if (header != null) {
            recorded.add(header);
        }
        recorded.forEach(h -> {
            String value = request.getHeader(h);
            if (value != null) {
                credentialsSeen.add(value);
            }
        });
        if (header != null && !requiredValue.equals(request.getHeader(header))) {
            request.response().setStatusCode(401).putHeader("WWW-Authenticate", "Bearer").end();
            return;
        }
        if (!"/mcp".equals(request.path())) {
            request.response().setStatusCode(404).end();
            return;
        }
        switch (request.method().name()) {
            case "DELETE" -> {
                String sid = request.getHeader("Mcp-Session-Id");
                if (sid != null) {
                    deleted.add(sid);
                }
                request.response().setStatusCode(sid != null && sessions.remove(sid) ? 200 : 404).end();
            }
            case "GET" -> {
                if (noGetStream) {
                    request.response().setStatusCode(405).end();
                    return;
                }
                String sid = request.getHeader("Mcp-Session-Id");
                if (sid == null || !sessions.contains(sid)) {
                    request.response().setStatusCode(sid == null ? 400 : 404).end();
                    return;
                }
                String lastEventId = request.getHeader("Last-Event-ID");
                if (lastEventId != null) {
                    String rest = resumable.remove(sid + "|" + lastEventId);
                    if (rest == null) {
                        request.response().setStatusCode(404).end();
                        return;
                    }
                    resumes.incrementAndGet();
                    request.response().putHeader("Content-Type", "text/event-stream")
                            .end("id: " + lastEventId + "-2\nevent: message\ndata: " + rest + "\n\n");
                    return;
                }
                io.vertx.core.http.HttpServerResponse stream = request.response().setChunked(true)
                        .putHeader("Content-Type", "text/event-stream");
                stream.write(": open\n\n");
                streams.add(stream);
                sessionStreams.put(sid, stream);
                stream.closeHandler(v -> {
                    streams.remove(stream);
                    sessionStreams.remove(sid, stream);
                });
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
                received.add(new Received(message, request.getHeader("Mcp-Session-Id"), request.getHeader("Mcp-Method"),
                        request.getHeader("Mcp-Name"), request.getHeader("MCP-Protocol-Version"),
                        request.getHeader("traceparent")));
                if (stateless) {
                    statelessPost(request, method, message);
                } else {
                    post(request, method, message);
                }
            });
            default -> request.response().setStatusCode(405).end();
        }
    }

    private void post(HttpServerRequest request, String method, JsonNode message) {
        String sid = request.getHeader("Mcp-Session-Id");
        if ("initialize".equals(method)) {
            if (hangInitialize) {
                return; // never answered; the exchange stays open until the client gives up
            }
            String newSid = UUID.randomUUID().toString();
            sessions.add(newSid);
            ObjectNode result = MAPPER.createObjectNode();
            result.put("protocolVersion", message.path("params").path("protocolVersion").asText("2025-06-18"));
            result.set("capabilities", capabilities());
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
        if (!message.has("method") && message.has("id") && (message.has("result") || message.has("error"))) {
            request.response().setStatusCode(202).end();
            Pending ask = asks.remove(sid + "|" + message.get("id"));
            if (ask != null) {
                boolean error = message.has("error");
                finish(ask, textResult(error ? "error: " + message.path("error").path("message").asText()
                        : "answered: " + message.path("result").path("content").path("text").asText(), error));
            }
            return;
        }
        if (!message.has("id")) {
            request.response().setStatusCode(202).end();
            if ("notifications/cancelled".equals(method)) {
                Pending hang = hangs.remove(sid + "|" + message.path("params").path("requestId"));
                if (hang != null) {
                    ObjectNode error = MAPPER.createObjectNode();
                    error.put("jsonrpc", "2.0");
                    error.set("id", hang.callId());
                    error.putObject("error").put("code", -32800).put("message", "cancelled");
                    hang.response().end("event: message\ndata: " + error + "\n\n");
                }
            }
            return;
        }
        if (features && feature(request, method, message)) {
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
        if (special(request, tool, message)) {
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

    private ObjectNode capabilities() {
        ObjectNode caps = MAPPER.createObjectNode();
        caps.putObject("tools").put("listChanged", true);
        if (features) {
            caps.putObject("prompts").put("listChanged", true);
            caps.putObject("resources").put("listChanged", true).put("subscribe", true);
            caps.putObject("completions");
            caps.putObject("logging");
        }
        return caps;
    }

    /** The URI of the fixture's one listed resource. */
    public String docUri() {
        return "test://" + name + "/doc";
    }

    /** The URI template of the fixture's one resource template. */
    public String itemTemplate() {
        return "test://" + name + "/items/{id}";
    }

    /** Prompts, resources, completion and logging; false when the method is none of them. */
    private boolean feature(HttpServerRequest request, String method, JsonNode message) {
        JsonNode id = message.get("id");
        JsonNode params = message.path("params");
        ObjectNode result = MAPPER.createObjectNode();
        switch (method) {
            case "prompts/list" -> {
                ObjectNode prompt = result.putArray("prompts").addObject();
                prompt.put("name", "greet");
                prompt.put("description", "greet of " + name);
                prompt.putArray("arguments").addObject().put("name", "who").put("required", true);
            }
            case "prompts/get" -> {
                if (!"greet".equals(params.path("name").asText())) {
                    error(request, id, -32602, "Unknown prompt: " + params.path("name").asText());
                    return true;
                }
                result.put("description", "greet of " + name);
                ObjectNode msg = result.putArray("messages").addObject();
                msg.put("role", "user");
                msg.putObject("content").put("type", "text")
                        .put("text", "Hello " + params.path("arguments").path("who").asText() + " from " + name);
            }
            case "resources/list" -> result.putArray("resources").addObject().put("uri", docUri()).put("name", "doc of " + name);
            case "resources/templates/list" ->
                    result.putArray("resourceTemplates").addObject().put("uriTemplate", itemTemplate()).put("name", "item of " + name);
            case "resources/read" -> {
                String uri = params.path("uri").asText();
                if (!uri.equals(docUri()) && !uri.startsWith("test://" + name + "/items/")) {
                    error(request, id, JsonRpcErrors.RESOURCE_NOT_FOUND, "Resource not found: " + uri);
                    return true;
                }
                result.putArray("contents").addObject().put("uri", uri).put("mimeType", "text/plain")
                        .put("text", name + " read " + uri);
            }
            case "resources/subscribe", "resources/unsubscribe", "logging/setLevel" -> {
                // recorded in received(); nothing else to do
            }
            case "completion/complete" -> {
                JsonNode ref = params.path("ref");
                ObjectNode completion = result.putObject("completion");
                completion.putArray("values").add(name + ":" + ref.path("type").asText() + ":"
                        + (ref.has("name") ? ref.path("name").asText() : ref.path("uri").asText()));
                completion.put("total", 1).put("hasMore", false);
            }
            default -> {
                return false;
            }
        }
        answer(request, id, result);
        return true;
    }

    /**
     * Tools with behaviour: {@code ask} sends a sampling/createMessage request (id {@link #ASK_ID}) on its SSE answer
     * and answers once the client's answer arrives; {@code progress} sends a progress notification first;
     * {@code hang} answers only a cancellation (see {@link #openHangs()}); {@code slow} sends a log message with an event id and waits for
     * {@link #releaseSlow()}.
     */
    private boolean special(HttpServerRequest request, String tool, JsonNode message) {
        JsonNode id = message.get("id");
        String sid = request.getHeader("Mcp-Session-Id");
        switch (tool) {
            case "ask" -> {
                io.vertx.core.http.HttpServerResponse response = openSse(request);
                ObjectNode ask = MAPPER.createObjectNode();
                ask.put("jsonrpc", "2.0");
                ask.put("id", ASK_ID);
                ask.put("method", "sampling/createMessage");
                ObjectNode p = ask.putObject("params");
                p.putArray("messages").addObject().put("role", "user").putObject("content").put("type", "text")
                        .put("text", "question from " + name);
                p.put("maxTokens", 10);
                asks.put(sid + "|" + ASK_ID, new Pending(response, id));
                response.write("event: message\ndata: " + ask + "\n\n");
            }
            case "askget" -> {
                // roots/list on the session's GET stream, as a server does outside a request's context. Like the
                // TypeScript SDK, a request sent while no GET stream is open is lost, and the call waits for ever.
                io.vertx.core.http.HttpServerResponse response = openSse(request);
                ObjectNode ask = MAPPER.createObjectNode();
                ask.put("jsonrpc", "2.0");
                ask.put("id", ASK_ID);
                ask.put("method", "roots/list");
                asks.put(sid + "|" + ASK_ID, new Pending(response, id));
                io.vertx.core.http.HttpServerResponse get = sessionStreams.get(sid);
                if (get != null) {
                    get.write("event: message\ndata: " + ask + "\n\n");
                }
            }
            case "askcancel" -> {
                io.vertx.core.http.HttpServerResponse response = openSse(request);
                ObjectNode ask = MAPPER.createObjectNode();
                ask.put("jsonrpc", "2.0");
                ask.put("id", 2);
                ask.put("method", "elicitation/create");
                ask.putObject("params").put("message", "never mind");
                response.write("event: message\ndata: " + ask + "\n\n");
                ObjectNode cancel = MAPPER.createObjectNode();
                cancel.put("jsonrpc", "2.0");
                cancel.put("method", "notifications/cancelled");
                cancel.putObject("params").put("requestId", 2).put("reason", "changed my mind");
                response.write("event: message\ndata: " + cancel + "\n\n");
                finish(new Pending(response, id), textResult("askcancel from " + name, false));
            }
            case "progress" -> {
                io.vertx.core.http.HttpServerResponse response = openSse(request);
                ObjectNode n = MAPPER.createObjectNode();
                n.put("jsonrpc", "2.0");
                n.put("method", "notifications/progress");
                n.putObject("params").set("progressToken", message.path("params").path("_meta").path("progressToken"));
                ((ObjectNode) n.get("params")).put("progress", 1).put("total", 2);
                response.write("event: message\ndata: " + n + "\n\n");
                finish(new Pending(response, id), textResult("progress from " + name, false));
            }
            case "drop" -> {
                // SSE polling (2025-11-25): an event id and a retry hint, then the stream ends before the answer,
                // which the client gets by GET with Last-Event-ID
                io.vertx.core.http.HttpServerResponse response = openSse(request);
                String eventId = "d-" + UUID.randomUUID();
                ObjectNode log = MAPPER.createObjectNode();
                log.put("jsonrpc", "2.0");
                log.put("method", "notifications/message");
                log.putObject("params").put("level", "info").put("data", "drop started on " + name);
                ObjectNode answer = MAPPER.createObjectNode();
                answer.put("jsonrpc", "2.0");
                answer.set("id", id);
                answer.set("result", textResult("drop from " + name + ": resumed", false));
                resumable.put(sid + "|" + eventId, answer.toString());
                response.end("id: " + eventId + "\nretry: 10\nevent: message\ndata: " + log + "\n\n");
            }
            case "hang" -> {
                io.vertx.core.http.HttpServerResponse response = openSse(request);
                hangs.put(sid + "|" + id, new Pending(response, id));
                openHangs.add(response);
                response.endHandler(v -> openHangs.remove(response));
                response.closeHandler(v -> openHangs.remove(response));
                response.write(": waiting\n\n");
            }
            case "slow" -> {
                io.vertx.core.http.HttpServerResponse response = openSse(request);
                ObjectNode log = MAPPER.createObjectNode();
                log.put("jsonrpc", "2.0");
                log.put("method", "notifications/message");
                log.putObject("params").put("level", "info").put("data", "slow started on " + name);
                response.write("id: e1\nevent: message\ndata: " + log + "\n\n");
                slows.add(new Pending(response, id));
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    private static io.vertx.core.http.HttpServerResponse openSse(HttpServerRequest request) {
        io.vertx.core.http.HttpServerResponse response = request.response().setChunked(true)
                .putHeader("Content-Type", "text/event-stream");
        response.write(": open\n\n");
        return response;
    }

    private static ObjectNode textResult(String text, boolean isError) {
        ObjectNode result = MAPPER.createObjectNode();
        result.putArray("content").addObject().put("type", "text").put("text", text);
        result.put("isError", isError);
        return result;
    }

    private static void finish(Pending pending, ObjectNode result) {
        ObjectNode response = MAPPER.createObjectNode();
        response.put("jsonrpc", "2.0");
        response.set("id", pending.callId());
        response.set("result", result);
        if (!pending.response().ended() && !pending.response().closed()) {
            pending.response().end("event: message\ndata: " + response + "\n\n");
        }
    }

    private void error(HttpServerRequest request, JsonNode id, int code, String message) {
        ObjectNode error = MAPPER.createObjectNode();
        error.put("jsonrpc", "2.0");
        error.set("id", id);
        error.putObject("error").put("code", code).put("message", message);
        send(request, error);
    }

    /**
     * The stateless 2026-07-28 protocol: initialize is refused with a JSON-RPC error; every request must carry
     * Mcp-Method (and Mcp-Name where it names something) and the version in _meta, else HTTP 400.
     */
    private void statelessPost(HttpServerRequest request, String method, JsonNode message) {
        JsonNode id = message.get("id");
        if ("initialize".equals(method)) {
            request.response().setStatusCode(400).putHeader("Content-Type", "application/json")
                    .end("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"error\":{\"code\":-32022,"
                            + "\"message\":\"Unsupported protocol version: this server speaks 2026-07-28 only\","
                            + "\"data\":{\"supported\":[\"2026-07-28\"]}}}");
            return;
        }
        if (id == null) {
            request.response().setStatusCode(202).end();
            return;
        }
        String expectedName = switch (method) {
            case "tools/call", "prompts/get" -> message.path("params").path("name").asText(null);
            case "resources/read" -> message.path("params").path("uri").asText(null);
            default -> null;
        };
        boolean versionOk = "2026-07-28".equals(message.path("params").path("_meta").path("io.modelcontextprotocol/protocolVersion").asText(null))
                || "server/discover".equals(method);
        if (!method.equals(request.getHeader("Mcp-Method")) || !java.util.Objects.equals(expectedName, request.getHeader("Mcp-Name"))
                || !versionOk || request.getHeader("Mcp-Session-Id") != null) {
            request.response().setStatusCode(400).putHeader("Content-Type", "application/json")
                    .end("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"error\":{\"code\":-32020,\"message\":\"Header mismatch\"}}");
            return;
        }
        switch (method) {
            case "server/discover" -> {
                ObjectNode result = MAPPER.createObjectNode();
                result.put("resultType", "complete");
                result.putArray("supportedVersions").add("2026-07-28");
                result.putObject("capabilities").putObject("tools");
                result.putObject("serverInfo").put("name", name).put("version", "1.0.0");
                answer(request, id, result);
            }
            case "tools/list" -> {
                ObjectNode page = toolsPage(message.path("params").path("cursor").asText(null));
                page.put("resultType", "complete");
                answer(request, id, page);
            }
            case "tools/call" -> call(request, message);
            default -> error(request, id, -32601, "Method not found: " + method);
        }
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
