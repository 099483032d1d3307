package dev.manifold.broker.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.manifold.broker.aggregate.Aggregator;
import dev.manifold.broker.aggregate.ToolCatalog;
import dev.manifold.broker.aggregate.ToolRoute;
import dev.manifold.broker.backend.Backend;
import dev.manifold.broker.backend.BackendState;
import dev.manifold.broker.backend.BackendSupervisor;
import dev.manifold.broker.backend.McpHttpClient;
import dev.manifold.broker.config.BrokerConfig;
import dev.manifold.broker.session.ClientSession;
import dev.manifold.broker.session.ClientSessions;
import dev.manifold.contracts.SessionRecord;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The client-facing MCP endpoint: {@code POST/GET/DELETE /mcp}, Streamable HTTP. Answers initialize and ping
 * itself, serves the aggregated tool list with pagination, and routes tools/call to the owning backend with the
 * prefix stripped, passing the result back untouched. Malformed input gets a JSON-RPC error and a 4xx, never a
 * 500. Never blocks the event loop.
 */
@ApplicationScoped
public class McpEndpoint {
    private static final Logger LOG = Logger.getLogger(McpEndpoint.class);
    private static final Set<String> METHOD_LABELS = Set.of("initialize", "ping", "tools/list", "tools/call");
    private static final Set<String> LOOPBACK = Set.of("localhost", "127.0.0.1", "[::1]", "::1");

    private final ObjectMapper mapper;
    private final BrokerConfig config;
    private final ClientSessions sessions;
    private final Aggregator aggregator;
    private final BackendSupervisor supervisor;
    private final MeterRegistry registry;
    private final Map<String, Counter> requestCounters = new ConcurrentHashMap<>();
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();

    public McpEndpoint(ObjectMapper mapper, BrokerConfig config, ClientSessions sessions, Aggregator aggregator,
                       BackendSupervisor supervisor, MeterRegistry registry) {
        this.mapper = mapper;
        this.config = config;
        this.sessions = sessions;
        this.aggregator = aggregator;
        this.supervisor = supervisor;
        this.registry = registry;
    }

    void routes(@Observes Router router) {
        router.post("/mcp").handler(BodyHandler.create(false).setBodyLimit(config.maxRequestBody().asLongValue()));
        router.post("/mcp").handler(this::post);
        router.get("/mcp").handler(this::get);
        router.delete("/mcp").handler(this::delete);
    }

    // --- POST -----------------------------------------------------------------------------------------------

    private void post(RoutingContext ctx) {
        Exchange ex = new Exchange(ctx, System.nanoTime());
        if (!originAllowed(ctx)) {
            ex.reply(403, JsonRpc.error(null, McpProtocol.INVALID_REQUEST, "Origin not allowed"), "rejected");
            return;
        }
        Buffer body = ctx.body() == null ? null : ctx.body().buffer();
        if (body == null || body.length() == 0) {
            ex.reply(400, JsonRpc.error(null, McpProtocol.PARSE_ERROR, "Parse error: empty body"), "rejected");
            return;
        }
        JsonNode message;
        try {
            message = mapper.readTree(body.getBytes());
        } catch (Exception e) {
            ex.reply(400, JsonRpc.error(null, McpProtocol.PARSE_ERROR, "Parse error: the body is not valid JSON"), "rejected");
            return;
        }
        if (message == null || message.isArray()) {
            ex.reply(400, JsonRpc.error(null, McpProtocol.INVALID_REQUEST, "Invalid Request: send one JSON-RPC message per POST (batches are not supported)"), "rejected");
            return;
        }
        if (!message.isObject() || !"2.0".equals(message.path("jsonrpc").asText(null))) {
            ex.reply(400, JsonRpc.error(null, McpProtocol.INVALID_REQUEST, "Invalid Request: expected a JSON-RPC 2.0 object"), "rejected");
            return;
        }
        JsonNode id = message.get("id");
        JsonNode methodNode = message.get("method");
        if (methodNode == null) {
            if (id != null && (message.has("result") || message.has("error"))) {
                ex.method = "response";
                ex.accepted(); // answers to server-initiated requests: none are issued yet
                return;
            }
            ex.reply(400, JsonRpc.error(id, McpProtocol.INVALID_REQUEST, "Invalid Request: missing method"), "rejected");
            return;
        }
        if (!methodNode.isTextual()) {
            ex.reply(400, JsonRpc.error(id, McpProtocol.INVALID_REQUEST, "Invalid Request: method must be a string"), "rejected");
            return;
        }
        String method = methodNode.asText();
        ex.method = METHOD_LABELS.contains(method) ? method : method.startsWith("notifications/") ? "notification" : "other";
        if (id != null && !(id.isTextual() || id.isIntegralNumber())) {
            ex.reply(400, JsonRpc.error(null, McpProtocol.INVALID_REQUEST, "Invalid Request: id must be a string or an integer"), "rejected");
            return;
        }
        JsonNode params = message.get("params");
        if (params != null && !params.isObject()) {
            ex.reply(400, JsonRpc.error(id, McpProtocol.INVALID_PARAMS, "Invalid params: params must be an object"), "rejected");
            return;
        }

        if ("initialize".equals(method) && id != null) {
            initialize(ex, id, params);
            return;
        }
        withSession(ex, id, session -> {
            if (id == null) {
                ex.accepted(); // notifications/initialized, cancelled, roots/list_changed: nothing to relay yet
                return;
            }
            switch (method) {
                case "ping" -> ex.reply(200, JsonRpc.result(id, mapper.createObjectNode()), "ok");
                case "tools/list" -> listTools(ex, id, params);
                case "tools/call" -> callTool(ex, session, id, params);
                default -> ex.reply(200, JsonRpc.error(id, McpProtocol.METHOD_NOT_FOUND, "Method not found: " + method), "error");
            }
        });
    }

    private void initialize(Exchange ex, JsonNode id, JsonNode params) {
        if (params == null || !params.path("protocolVersion").isTextual()) {
            ex.reply(200, JsonRpc.error(id, McpProtocol.INVALID_PARAMS, "Invalid params: initialize needs params.protocolVersion"), "error");
            return;
        }
        String version = McpProtocol.negotiate(params.get("protocolVersion").asText());
        sessions.create(version, params.get("clientInfo"), SessionRecord.ANONYMOUS).subscribe().with(
                session -> initialized(ex, id, session, version),
                failure -> ex.unavailable(id, failure));
    }

    private void initialized(Exchange ex, JsonNode id, ClientSession session, String version) {
        ObjectNode result = mapper.createObjectNode();
        result.put("protocolVersion", version);
        result.putObject("capabilities").putObject("tools").put("listChanged", true);
        ObjectNode info = result.putObject("serverInfo");
        info.put("name", "manifold-broker");
        info.put("version", "0.1.0");
        ex.ctx.response().putHeader(McpHttpClient.SESSION_HEADER, session.id());
        ex.reply(200, JsonRpc.result(id, result), "ok");
    }

    private void listTools(Exchange ex, JsonNode id, JsonNode params) {
        String after = null;
        JsonNode cursor = params == null ? null : params.get("cursor");
        if (cursor != null && !cursor.isNull()) {
            try {
                after = new String(Base64.getUrlDecoder().decode(cursor.asText()), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                ex.reply(200, JsonRpc.error(id, McpProtocol.INVALID_PARAMS, "Invalid params: unknown cursor"), "error");
                return;
            }
        }
        ToolCatalog catalog = aggregator.catalog();
        List<ToolRoute> page = catalog.page(after, Math.max(1, config.pageSize()));
        ObjectNode result = mapper.createObjectNode();
        ArrayNode tools = result.putArray("tools");
        page.forEach(route -> tools.add(route.definition()));
        if (!page.isEmpty()) {
            String last = page.get(page.size() - 1).exposedName();
            if (catalog.hasAfter(last)) {
                result.put("nextCursor", Base64.getUrlEncoder().withoutPadding().encodeToString(last.getBytes(StandardCharsets.UTF_8)));
            }
        }
        ex.reply(200, JsonRpc.result(id, result), "ok");
    }

    private void callTool(Exchange ex, ClientSession session, JsonNode id, JsonNode params) {
        JsonNode name = params == null ? null : params.get("name");
        if (name == null || !name.isTextual()) {
            ex.reply(200, JsonRpc.error(id, McpProtocol.INVALID_PARAMS, "Invalid params: tools/call needs params.name"), "error");
            return;
        }
        ToolRoute route = aggregator.catalog().route(name.asText());
        if (route == null) {
            ex.reply(200, JsonRpc.error(id, McpProtocol.INVALID_PARAMS, "Unknown tool: " + name.asText()), "error");
            return;
        }
        Backend backend = supervisor.get(route.serverId());
        if (backend == null || backend.state() != BackendState.READY) {
            ex.reply(200, JsonRpc.error(id, McpProtocol.BACKEND_UNAVAILABLE, "Server '" + route.serverId() + "' is unavailable"), "backend_error");
            return;
        }
        ObjectNode forwarded = ((ObjectNode) params).deepCopy();
        forwarded.put("name", route.originalName());
        sessions.forward(session, backend, "tools/call", forwarded, null).subscribe().with(
                reply -> {
                    JsonNode answer = reply.message();
                    if (answer == null) {
                        ex.reply(200, JsonRpc.error(id, McpProtocol.BACKEND_UNAVAILABLE, "Server '" + route.serverId() + "' sent no answer"), "backend_error");
                    } else {
                        ex.reply(200, JsonRpc.readdress(answer, id), answer.has("error") ? "error" : "ok");
                    }
                },
                failure -> {
                    LOG.debugf("tools/call %s on %s failed: %s", name.asText(), route.serverId(), failure.getMessage());
                    ex.reply(200, JsonRpc.error(id, McpProtocol.BACKEND_UNAVAILABLE,
                            "Server '" + route.serverId() + "' is unavailable: " + failure.getMessage()), "backend_error");
                });
    }

    // --- GET and DELETE -------------------------------------------------------------------------------------

    private void get(RoutingContext ctx) {
        Exchange ex = new Exchange(ctx, System.nanoTime());
        ex.method = "stream";
        if (!originAllowed(ctx)) {
            ex.reply(403, JsonRpc.error(null, McpProtocol.INVALID_REQUEST, "Origin not allowed"), "rejected");
            return;
        }
        String accept = ctx.request().getHeader("Accept");
        if (accept == null || !accept.contains("text/event-stream")) {
            ex.reply(406, JsonRpc.error(null, McpProtocol.INVALID_REQUEST, "Not Acceptable: GET /mcp needs Accept: text/event-stream"), "rejected");
            return;
        }
        withSession(ex, null, session -> {
            HttpServerResponse response = ctx.response();
            response.setStatusCode(200)
                    .setChunked(true)
                    .putHeader("Content-Type", "text/event-stream")
                    .putHeader("Cache-Control", "no-cache");
            response.write(": manifold stream open\n\n");
            sessions.attachStream(session, response);
            ex.count("ok");
        });
    }

    private void delete(RoutingContext ctx) {
        Exchange ex = new Exchange(ctx, System.nanoTime());
        ex.method = "delete";
        if (!originAllowed(ctx)) {
            ex.reply(403, JsonRpc.error(null, McpProtocol.INVALID_REQUEST, "Origin not allowed"), "rejected");
            return;
        }
        withSession(ex, null, session -> sessions.delete(session).subscribe().with(deleted -> {
            ctx.response().setStatusCode(200).end();
            ex.count("ok");
        }, failure -> ex.unavailable(null, failure)));
    }

    /**
     * Runs {@code then} with the session the request names, after answering 400 (no header, bad protocol
     * version), 404 (unknown or deleted session) or 503 (session store unreachable) otherwise.
     */
    private void withSession(Exchange ex, JsonNode id, Consumer<ClientSession> then) {
        String sid = ex.ctx.request().getHeader(McpHttpClient.SESSION_HEADER);
        if (sid == null || sid.isBlank()) {
            ex.reply(400, JsonRpc.error(id, McpProtocol.INVALID_REQUEST, "Bad Request: Mcp-Session-Id header is required (initialize first)"), "rejected");
            return;
        }
        String version = ex.ctx.request().getHeader(McpHttpClient.PROTOCOL_HEADER);
        if (version != null && !McpProtocol.SUPPORTED_VERSIONS.contains(version)) {
            ex.reply(400, JsonRpc.error(id, McpProtocol.INVALID_REQUEST, "Bad Request: unsupported MCP-Protocol-Version " + version), "rejected");
            return;
        }
        sessions.find(sid).subscribe().with(session -> {
            if (session == null) {
                ex.reply(404, JsonRpc.error(id, McpProtocol.SESSION_NOT_FOUND, "Session not found: initialize a new session"), "unknown_session");
            } else {
                then.accept(session);
            }
        }, failure -> ex.unavailable(id, failure));
    }

    /** DNS-rebinding protection: loopback and configured origins only. */
    private boolean originAllowed(RoutingContext ctx) {
        String origin = ctx.request().getHeader("Origin");
        if (origin == null) {
            return true;
        }
        List<String> allowed = config.allowedOrigins().orElse(List.of());
        if (allowed.contains("*") || allowed.contains(origin)) {
            return true;
        }
        try {
            String host = URI.create(origin).getHost();
            return host != null && LOOPBACK.contains(host);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** One request: answers it once and records its metrics. */
    private final class Exchange {
        final RoutingContext ctx;
        final long started;
        String method = "unknown";

        Exchange(RoutingContext ctx, long started) {
            this.ctx = ctx;
            this.started = started;
        }

        void reply(int status, ObjectNode body, String outcome) {
            byte[] bytes;
            try {
                bytes = mapper.writeValueAsBytes(body);
            } catch (Exception e) {
                status = 500;
                bytes = "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32603,\"message\":\"Internal error\"}}".getBytes(StandardCharsets.UTF_8);
                outcome = "error";
            }
            HttpServerResponse response = ctx.response();
            if (!response.ended() && !response.closed()) {
                response.setStatusCode(status).putHeader("Content-Type", "application/json").end(Buffer.buffer(bytes));
            }
            count(outcome);
        }

        /** The session store is unreachable: 503 with Retry-After, never a hang. */
        void unavailable(JsonNode id, Throwable failure) {
            LOG.debugf("Session store unavailable: %s", failure.getMessage());
            ctx.response().putHeader("Retry-After", "1");
            reply(503, JsonRpc.error(id, McpProtocol.INTERNAL_ERROR, "Session store unavailable, retry shortly"), "unavailable");
        }

        void accepted() {
            ctx.response().setStatusCode(202).end();
            count("ok");
        }

        void count(String outcome) {
            requestCounters.computeIfAbsent(method + "|" + outcome, k -> Counter.builder("manifold.broker.requests")
                            .description("Client requests by JSON-RPC method and outcome")
                            .tag("method", method)
                            .tag("outcome", outcome)
                            .register(registry))
                    .increment();
            timers.computeIfAbsent(method, m -> Timer.builder("manifold.broker.request")
                            .description("Client request latency, by method")
                            .tag("method", m)
                            .publishPercentileHistogram()
                            .register(registry))
                    .record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
        }
    }
}
