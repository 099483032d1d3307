package dev.manifold.broker.http;

import dev.manifold.broker.relay.ServerRequestIds;
import dev.manifold.broker.upstream.JsonRpc;
import dev.manifold.contracts.McpVersions;
import dev.manifold.contracts.McpHeaders;
import dev.manifold.contracts.JsonRpcErrors;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.manifold.broker.catalog.Aggregator;
import dev.manifold.broker.catalog.FeatureCatalog;
import dev.manifold.broker.catalog.ToolCatalog;
import dev.manifold.broker.catalog.ToolRoute;
import dev.manifold.broker.upstream.Backend;
import dev.manifold.broker.upstream.BackendException;
import dev.manifold.broker.upstream.BackendState;
import dev.manifold.broker.upstream.BackendSupervisor;
import dev.manifold.broker.upstream.McpHttpClient;
import dev.manifold.broker.settings.BrokerConfig;
import dev.manifold.broker.session.ClientSession;
import dev.manifold.broker.session.ClientSessions;
import dev.manifold.broker.session.EventStream;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
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
import io.opentelemetry.api.trace.Span;
import dev.manifold.contracts.Telemetry;
import dev.manifold.broker.telemetry.Mdc;
import org.jboss.logging.Logger;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.atomic.AtomicLong;
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
    private static final Set<String> METHOD_LABELS = Set.of("initialize", "ping", "tools/list", "tools/call",
            "prompts/list", "prompts/get", "resources/list", "resources/templates/list", "resources/read",
            "resources/subscribe", "resources/unsubscribe", "completion/complete", "logging/setLevel", "server/discover");
    private static final Set<String> LOOPBACK = Set.of("localhost", "127.0.0.1", "[::1]", "::1");

    private final ObjectMapper mapper;
    private final BrokerConfig config;
    private final ClientSessions sessions;
    private final Aggregator aggregator;
    private final BackendSupervisor supervisor;
    private final MeterRegistry registry;
    private final Map<String, Counter> requestCounters = new ConcurrentHashMap<>();
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();
    private final Vertx vertx;
    private final McpHttpClient http;
    private final AtomicLong progressIds = new AtomicLong();
    private final Counter serverRequests;
    private final Counter serverRequestTimeouts;

    public McpEndpoint(ObjectMapper mapper, BrokerConfig config, ClientSessions sessions, Aggregator aggregator,
                       BackendSupervisor supervisor, MeterRegistry registry, Vertx vertx, McpHttpClient http) {
        this.vertx = vertx;
        this.http = http;
        this.serverRequests = Counter.builder("manifold.broker.server.requests")
                .description("Server-to-client requests (sampling, elicitation, roots) relayed to clients").register(registry);
        this.serverRequestTimeouts = Counter.builder("manifold.broker.server.request.timeouts")
                .description("Relayed server-to-client requests the client did not answer in time").register(registry);
        sessions.onBackendMessage((session, backend, message) -> fromBackend(session, backend, message, null));
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
            ex.reply(403, JsonRpc.error(null, JsonRpcErrors.INVALID_REQUEST, "Origin not allowed"), "rejected");
            return;
        }
        Buffer body = ctx.body() == null ? null : ctx.body().buffer();
        if (body == null || body.length() == 0) {
            ex.reply(400, JsonRpc.error(null, JsonRpcErrors.PARSE_ERROR, "Parse error: empty body"), "rejected");
            return;
        }
        JsonNode message;
        try {
            message = mapper.readTree(body.getBytes());
        } catch (Exception e) {
            ex.reply(400, JsonRpc.error(null, JsonRpcErrors.PARSE_ERROR, "Parse error: the body is not valid JSON"), "rejected");
            return;
        }
        if (message == null || message.isArray()) {
            ex.reply(400, JsonRpc.error(null, JsonRpcErrors.INVALID_REQUEST, "Invalid Request: send one JSON-RPC message per POST (batches are not supported)"), "rejected");
            return;
        }
        if (!message.isObject() || !"2.0".equals(message.path("jsonrpc").asText(null))) {
            ex.reply(400, JsonRpc.error(null, JsonRpcErrors.INVALID_REQUEST, "Invalid Request: expected a JSON-RPC 2.0 object"), "rejected");
            return;
        }
        JsonNode id = message.get("id");
        JsonNode methodNode = message.get("method");
        if (methodNode == null) {
            if (id != null && (message.has("result") || message.has("error"))) {
                ex.method = "response";
                withSession(ex, null, session -> clientAnswer(ex, session, (ObjectNode) message));
                return;
            }
            ex.reply(400, JsonRpc.error(id, JsonRpcErrors.INVALID_REQUEST, "Invalid Request: missing method"), "rejected");
            return;
        }
        if (!methodNode.isTextual()) {
            ex.reply(400, JsonRpc.error(id, JsonRpcErrors.INVALID_REQUEST, "Invalid Request: method must be a string"), "rejected");
            return;
        }
        String method = methodNode.asText();
        traced(method, message.get("params"));
        ex.method = METHOD_LABELS.contains(method) ? method : method.startsWith("notifications/") ? "notification" : "other";
        if (id != null && !(id.isTextual() || id.isIntegralNumber())) {
            ex.reply(400, JsonRpc.error(null, JsonRpcErrors.INVALID_REQUEST, "Invalid Request: id must be a string or an integer"), "rejected");
            return;
        }
        JsonNode params = message.get("params");
        if (params != null && !params.isObject()) {
            ex.reply(400, JsonRpc.error(id, JsonRpcErrors.INVALID_PARAMS, "Invalid params: params must be an object"), "rejected");
            return;
        }
        ex.sseAccepted = acceptsSse(ctx);
        if (isStateless(ctx, method, params)) {
            statelessRequest(ex, id, method, (ObjectNode) params);
            return;
        }
        if ("initialize".equals(method) && id != null) {
            initialize(ex, id, params);
            return;
        }
        withSession(ex, id, session -> {
            if (id == null) {
                clientNotification(ex, session, method, (ObjectNode) message);
                return;
            }
            // The parsed message belongs to this request alone: routing rewrites its params in place.
            dispatch(ex, session, id, method, params == null ? mapper.createObjectNode() : (ObjectNode) params);
        });
    }

    /**
     * A message judged by the rules of the stateless 2026-07-28 protocol: no session, and {@code server/discover}
     * or a version in the {@code MCP-Protocol-Version} header or in {@code _meta}. A version other than 2026-07-28
     * named without a session is refused there with -32022 (data: requested, supported), as a client that believes
     * it speaks a version the broker serves statelessly must learn which versions it can use; {@code initialize}
     * is exempt, since that is how a session in such a version begins. A sessionless message naming no version at
     * all is answered -32600 "Mcp-Session-Id header is required".
     */
    private static boolean isStateless(RoutingContext ctx, String method, JsonNode params) {
        if (ctx.request().getHeader(McpHeaders.SESSION_ID) != null) {
            return false;
        }
        String header = ctx.request().getHeader(McpHeaders.PROTOCOL_VERSION);
        String meta = params == null ? null : params.path("_meta").path(McpVersions.META_PROTOCOL_VERSION).asText(null);
        if ("server/discover".equals(method) || McpVersions.STATELESS.equals(header) || McpVersions.STATELESS.equals(meta)) {
            return true;
        }
        return !"initialize".equals(method) && (header != null || meta != null);
    }

    private static boolean acceptsSse(RoutingContext ctx) {
        String accept = ctx.request().getHeader("Accept");
        return accept != null && accept.contains("text/event-stream");
    }

    private void initialize(Exchange ex, JsonNode id, JsonNode params) {
        if (params == null || !params.path("protocolVersion").isTextual()) {
            ex.reply(200, JsonRpc.error(id, JsonRpcErrors.INVALID_PARAMS, "Invalid params: initialize needs params.protocolVersion"), "error");
            return;
        }
        String version = McpVersions.negotiate(params.get("protocolVersion").asText());
        JsonNode capabilities = params.get("capabilities") instanceof ObjectNode caps ? caps : null;
        sessions.create(version, params.get("clientInfo"), capabilities, SessionRecord.ANONYMOUS).subscribe().with(
                session -> {
                    Mdc.request(Telemetry.MDC_SESSION_ID, session.id());
                    initialized(ex, id, session, version);
                },
                failure -> ex.unavailable(id, failure));
    }

    private void initialized(Exchange ex, JsonNode id, ClientSession session, String version) {
        ObjectNode result = mapper.createObjectNode();
        result.put("protocolVersion", version);
        result.set("capabilities", capabilities());
        ObjectNode info = result.putObject("serverInfo");
        info.put("name", "manifold-broker");
        info.put("version", "0.1.0");
        ex.ctx.response().putHeader(McpHeaders.SESSION_ID, session.id());
        ex.local(session, JsonRpc.result(id, result));
    }

    /**
     * What the aggregate can serve: tools always (the set may change, so listChanged); prompts, resources (with
     * subscribe when a backend offers it), completions and logging only when a connected backend offers them.
     */
    ObjectNode capabilities() {
        ObjectNode caps = mapper.createObjectNode();
        caps.putObject("tools").put("listChanged", true);
        boolean prompts = false;
        boolean resources = false;
        boolean subscribe = false;
        boolean completions = false;
        boolean logging = false;
        for (Backend backend : supervisor.all()) {
            if (!backend.entry().isEnabled() || backend.state() != BackendState.READY) {
                continue;
            }
            prompts |= backend.offers("prompts");
            resources |= backend.offers("resources");
            subscribe |= backend.capabilities().path("resources").path("subscribe").asBoolean(false);
            completions |= backend.offers("completions");
            logging |= backend.offers("logging");
        }
        if (prompts) {
            caps.putObject("prompts").put("listChanged", true);
        }
        if (resources) {
            ObjectNode r = caps.putObject("resources");
            r.put("listChanged", true);
            if (subscribe) {
                r.put("subscribe", true);
            }
        }
        if (completions) {
            caps.putObject("completions");
        }
        if (logging) {
            caps.putObject("logging");
        }
        return caps;
    }

    /** A request of a session: answered here (lists, ping) or routed to the backend that owns what it names. */
    private void dispatch(Exchange ex, ClientSession session, JsonNode id, String method, ObjectNode params) {
        switch (method) {
            case "ping" -> ex.local(session, JsonRpc.result(id, mapper.createObjectNode()));
            case "tools/list" -> listTools(ex, session, id, params);
            case "prompts/list" -> listFeature(ex, session, id, params, aggregator.features().prompts(), "prompts");
            case "resources/list" -> listFeature(ex, session, id, params, aggregator.features().resources(), "resources");
            case "resources/templates/list" ->
                    listFeature(ex, session, id, params, aggregator.features().templates(), "resourceTemplates");
            case "logging/setLevel" -> setLevel(ex, session, id, params);
            default -> {
                Target target = route(method, params);
                if (target.error != null) {
                    ex.reply(200, JsonRpc.error(id, target.errorCode, target.error), "error");
                } else {
                    forward(ex, session, id, target.serverId, method, params, target.resultUris);
                }
            }
        }
    }

    /** Where a routed request goes, with its params rewritten to the backend's names; or why it cannot go. */
    private static final class Target {
        String serverId;
        String error;
        int errorCode;
        /** Whether URIs in the result (contents[].uri) are to be shown namespaced. */
        boolean resultUris;

        static Target to(String serverId) {
            Target t = new Target();
            t.serverId = serverId;
            return t;
        }

        static Target error(int code, String message) {
            Target t = new Target();
            t.errorCode = code;
            t.error = message;
            return t;
        }
    }

    /** Resolves the owner of a request and rewrites params (tool/prompt name, URI, completion ref) in place. */
    private Target route(String method, ObjectNode params) {
        FeatureCatalog features = aggregator.features();
        switch (method) {
            case "tools/call" -> {
                JsonNode name = params.get("name");
                if (name == null || !name.isTextual()) {
                    return Target.error(JsonRpcErrors.INVALID_PARAMS, "Invalid params: tools/call needs params.name");
                }
                ToolRoute route = aggregator.catalog().route(name.asText());
                if (route == null) {
                    return Target.error(JsonRpcErrors.INVALID_PARAMS, "Unknown tool: " + name.asText());
                }
                params.put("name", route.originalName());
                return Target.to(route.serverId());
            }
            case "prompts/get" -> {
                JsonNode name = params.get("name");
                if (name == null || !name.isTextual()) {
                    return Target.error(JsonRpcErrors.INVALID_PARAMS, "Invalid params: prompts/get needs params.name");
                }
                FeatureCatalog.Route route = features.prompt(name.asText());
                if (route == null) {
                    return Target.error(JsonRpcErrors.INVALID_PARAMS, "Unknown prompt: " + name.asText());
                }
                params.put("name", route.original());
                return Target.to(route.serverId());
            }
            case "resources/read", "resources/subscribe", "resources/unsubscribe" -> {
                JsonNode uri = params.get("uri");
                if (uri == null || !uri.isTextual()) {
                    return Target.error(JsonRpcErrors.INVALID_PARAMS, "Invalid params: " + method + " needs params.uri");
                }
                FeatureCatalog.Target owner = features.resolveUri(uri.asText());
                if (owner == null) {
                    return Target.error(JsonRpcErrors.RESOURCE_NOT_FOUND, "Resource not found: " + uri.asText());
                }
                params.put("uri", owner.original());
                Target t = Target.to(owner.serverId());
                t.resultUris = "resources/read".equals(method);
                return t;
            }
            case "completion/complete" -> {
                JsonNode ref = params.get("ref");
                if (!(ref instanceof ObjectNode refObject)) {
                    return Target.error(JsonRpcErrors.INVALID_PARAMS, "Invalid params: completion/complete needs params.ref");
                }
                String type = refObject.path("type").asText();
                if ("ref/prompt".equals(type)) {
                    FeatureCatalog.Route route = features.prompt(refObject.path("name").asText(null));
                    if (route == null) {
                        return Target.error(JsonRpcErrors.INVALID_PARAMS, "Unknown prompt: " + refObject.path("name").asText());
                    }
                    refObject.put("name", route.original());
                    return Target.to(route.serverId());
                }
                if ("ref/resource".equals(type)) {
                    String uri = refObject.path("uri").asText(null);
                    FeatureCatalog.Route template = features.template(uri);
                    FeatureCatalog.Target owner = template != null
                            ? new FeatureCatalog.Target(template.serverId(), template.original())
                            : features.resolveUri(uri);
                    if (owner == null) {
                        return Target.error(JsonRpcErrors.INVALID_PARAMS, "Unknown resource template: " + uri);
                    }
                    refObject.put("uri", owner.original());
                    return Target.to(owner.serverId());
                }
                return Target.error(JsonRpcErrors.INVALID_PARAMS, "Invalid params: unknown ref type " + type);
            }
            default -> {
                // An unknown method goes to the owner of what it names, or to the only backend; else nobody owns it.
                String name = params.path("name").asText(null);
                if (name != null) {
                    ToolRoute tool = aggregator.catalog().route(name);
                    if (tool != null) {
                        params.put("name", tool.originalName());
                        return Target.to(tool.serverId());
                    }
                    FeatureCatalog.Route prompt = features.prompt(name);
                    if (prompt != null) {
                        params.put("name", prompt.original());
                        return Target.to(prompt.serverId());
                    }
                }
                String uri = params.path("uri").asText(null);
                if (uri != null) {
                    FeatureCatalog.Target owner = features.resolveUri(uri);
                    if (owner != null) {
                        params.put("uri", owner.original());
                        return Target.to(owner.serverId());
                    }
                }
                List<Backend> ready = supervisor.all().stream()
                        .filter(b -> b.entry().isEnabled() && b.state() == BackendState.READY).toList();
                if (ready.size() == 1) {
                    return Target.to(ready.get(0).id());
                }
                return Target.error(JsonRpcErrors.METHOD_NOT_FOUND, "Method not found: " + method);
            }
        }
    }

    private void listTools(Exchange ex, ClientSession session, JsonNode id, JsonNode params) {
        String after = cursor(ex, id, params);
        if (after == CURSOR_INVALID) {
            return;
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
        ex.local(session, JsonRpc.result(id, stamp(session, result)));
    }

    private void listFeature(Exchange ex, ClientSession session, JsonNode id, JsonNode params,
                             NavigableMap<String, FeatureCatalog.Route> all, String field) {
        String after = cursor(ex, id, params);
        if (after == CURSOR_INVALID) {
            return;
        }
        NavigableMap<String, FeatureCatalog.Route> tail = after == null ? all : all.tailMap(after, false);
        ObjectNode result = mapper.createObjectNode();
        ArrayNode items = result.putArray(field);
        String last = null;
        int size = Math.max(1, config.pageSize());
        for (FeatureCatalog.Route route : tail.values()) {
            if (items.size() == size) {
                break;
            }
            items.add(route.definition());
            last = route.exposed();
        }
        if (last != null && all.higherKey(last) != null) {
            result.put("nextCursor", Base64.getUrlEncoder().withoutPadding().encodeToString(last.getBytes(StandardCharsets.UTF_8)));
        }
        ex.local(session, JsonRpc.result(id, stamp(session, result)));
    }

    private static final String CURSOR_INVALID = new String("invalid");

    /** The key after which a page starts; null from the start; {@link #CURSOR_INVALID} once answered with an error. */
    private String cursor(Exchange ex, JsonNode id, JsonNode params) {
        JsonNode cursor = params == null ? null : params.get("cursor");
        if (cursor == null || cursor.isNull()) {
            return null;
        }
        try {
            return new String(Base64.getUrlDecoder().decode(cursor.asText()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            ex.reply(200, JsonRpc.error(id, JsonRpcErrors.INVALID_PARAMS, "Invalid params: unknown cursor"), "error");
            return CURSOR_INVALID;
        }
    }

    /** Stateless (2026-07-28) results carry resultType; session results are left as they are. */
    private static ObjectNode stamp(ClientSession session, ObjectNode result) {
        if (session == null && !result.has("resultType")) {
            result.put("resultType", "complete");
        }
        return result;
    }

    /** logging/setLevel reaches every backend that offers logging, in the client's session there. */
    private void setLevel(Exchange ex, ClientSession session, JsonNode id, ObjectNode params) {
        List<Backend> targets = supervisor.all().stream()
                .filter(b -> b.entry().isEnabled() && b.state() == BackendState.READY && b.offers("logging")).toList();
        if (targets.isEmpty()) {
            ex.local(session, JsonRpc.result(id, mapper.createObjectNode()));
            return;
        }
        List<Uni<Boolean>> calls = targets.stream().map(backend -> sessions
                .forward(session, backend, supervisor.request("logging/setLevel", params.deepCopy()), null)
                .map(reply -> reply.error() == null)
                .onFailure().recoverWithItem(false)).toList();
        Uni.join().all(calls).andFailFast().subscribe().with(results -> {
            if (results.contains(true) || results.isEmpty()) {
                ex.local(session, JsonRpc.result(id, mapper.createObjectNode()));
            } else {
                ex.reply(200, JsonRpc.error(id, JsonRpcErrors.INTERNAL_ERROR, "No backend accepted logging/setLevel"), "backend_error");
            }
        }, failure -> ex.reply(200, JsonRpc.error(id, JsonRpcErrors.INTERNAL_ERROR, failure.getMessage()), "backend_error"));
    }

    /**
     * Forwards one request to the backend that owns it, within the client's session there, and relays whatever
     * the backend sends before its answer (progress, logging, server-to-client requests) on an SSE response.
     */
    private void forward(Exchange ex, ClientSession session, JsonNode clientId, String serverId, String method,
                         ObjectNode params, boolean resultUris) {
        routedTo(serverId);
        Backend backend = supervisor.get(serverId);
        if (backend == null || backend.state() != BackendState.READY) {
            ex.reply(200, JsonRpc.error(clientId, JsonRpcErrors.BACKEND_UNAVAILABLE, "Server '" + serverId + "' is unavailable"), "backend_error");
            return;
        }
        JsonNode meta = params.get("_meta");
        String mappedToken = null;
        if (meta instanceof ObjectNode metaObject && metaObject.has("progressToken")) {
            mappedToken = "mf-p-" + progressIds.incrementAndGet();
            session.progressTokens.put(mappedToken, metaObject.get("progressToken"));
            metaObject.put("progressToken", mappedToken);
        }
        ObjectNode request = supervisor.request(method, params);
        String inFlightKey = clientId.toString();
        session.inFlight.put(inFlightKey, new ClientSession.InFlight(serverId, backend.key(), request.get("id")));
        Relay relay = new Relay(ex, session, backend);
        String token = mappedToken;
        sessions.forward(session, backend, request, relay).subscribe().with(
                reply -> {
                    cleanup(session, inFlightKey, token);
                    JsonNode answer = reply.message();
                    if (answer == null) {
                        relay.complete(JsonRpc.error(clientId, JsonRpcErrors.BACKEND_UNAVAILABLE, "Server '" + serverId + "' sent no answer"), "backend_error");
                        return;
                    }
                    ObjectNode out = JsonRpc.readdress(answer, clientId);
                    if (resultUris && out.path("result").path("contents") instanceof ArrayNode contents) {
                        FeatureCatalog features = aggregator.features();
                        contents.forEach(c -> {
                            if (c instanceof ObjectNode item && item.path("uri").isTextual()) {
                                item.put("uri", features.exposeUri(serverId, item.get("uri").asText()));
                            }
                        });
                    }
                    relay.complete(out, answer.has("error") ? "error" : "ok");
                },
                failure -> {
                    cleanup(session, inFlightKey, token);
                    LOG.debugf("%s on %s failed: %s", method, serverId, failure.getMessage());
                    relay.complete(JsonRpc.error(clientId, JsonRpcErrors.BACKEND_UNAVAILABLE,
                            "Server '" + serverId + "' is unavailable: " + failure.getMessage()), "backend_error");
                });
    }

    private static void cleanup(ClientSession session, String inFlightKey, String token) {
        session.inFlight.remove(inFlightKey);
        if (token != null) {
            session.progressTokens.remove(token);
        }
    }

    /**
     * Relays one forwarded request's stream: passes each message the backend sends before its answer on after
     * rewriting ids, progress tokens and URIs, on an SSE response opened for the first of them, or once the answer
     * has taken {@code stream-open-delay}. An answer that comes alone and in time (the common case, even when the
     * backend streamed it) goes to the client as JSON: one write, and nothing for the client to parse as a stream.
     */
    private final class Relay implements McpHttpClient.ReplyStream {
        private final Exchange ex;
        private final ClientSession session;
        private final Backend backend;
        private EventStream stream;

        Relay(Exchange ex, ClientSession session, Backend backend) {
            this.ex = ex;
            this.session = session;
            this.backend = backend;
        }

        private long openTimer = -1;
        private boolean completed;

        @Override
        public synchronized void opened() {
            if (stream != null || !ex.sseAccepted) {
                return;
            }
            long delay = config.streamOpenDelay().toMillis();
            if (delay <= 0) {
                stream = ex.openStream(session);
            } else {
                openTimer = vertx.setTimer(delay, t -> openLate());
            }
        }

        private synchronized void openLate() {
            openTimer = -1;
            if (stream == null && !completed) {
                stream = ex.openStream(session);
            }
        }

        @Override
        public void message(JsonNode message) {
            EventStream target;
            synchronized (this) {
                if (stream == null && ex.sseAccepted) {
                    stream = ex.openStream(session);
                }
                target = stream;
            }
            fromBackend(session, backend, message, target);
        }

        synchronized void complete(ObjectNode answer, String outcome) {
            completed = true;
            if (openTimer >= 0) {
                vertx.cancelTimer(openTimer);
                openTimer = -1;
            }
            if (stream == null) {
                ex.reply(200, answer, outcome);
                return;
            }
            stream.send(answer.toString());
            if (session != null) {
                sessions.finishPostStream(session, stream);
            } else {
                stream.finish(); // stateless: no session keeps the stream for resumption
            }
            ex.count(outcome);
        }
    }

    /**
     * A message a backend sent outside its answers, on a POST stream or its GET stream, for one client session:
     * server-to-client requests get an id unique for the client, progress tokens and URIs are mapped back, and
     * the message goes to the client's stream. A request that cannot reach the client is refused to the backend.
     */
    void fromBackend(ClientSession session, Backend backend, JsonNode message, EventStream target) {
        if (!(message instanceof ObjectNode msg) || !msg.path("method").isTextual()) {
            return; // a stray response: nothing to relay
        }
        String method = msg.get("method").asText();
        if (target == null && session != null) {
            target = session.standalone();
        }
        if (msg.has("id")) {
            if (session == null || target == null) {
                ObjectNode refusal = JsonRpc.error(msg.get("id"), JsonRpcErrors.METHOD_NOT_FOUND,
                        "The client cannot receive " + method + " requests through this gateway stream");
                // a stateless client's call runs in the broker's own session with the backend: answer there
                Uni<?> sent = session != null ? sessions.deliver(session, backend, refusal)
                        : http.post(backend.entry().url(), backend.discoverySessionId(), backend.protocolVersion(), refusal, false, null);
                sent.subscribe().with(r -> {
                }, f -> LOG.debugf("Refusing %s to %s failed: %s", method, backend.id(), f.getMessage()));
                return;
            }
            String exposed = ServerRequestIds.encode(backend.id(), msg.get("id"));
            long timer = vertx.setTimer(Math.max(1, config.serverRequestTimeout().toMillis()), t -> expire(session, exposed));
            ClientSession.PendingServerRequest previous = session.pending.put(exposed,
                    new ClientSession.PendingServerRequest(backend.id(), msg.get("id"), timer));
            if (previous != null) {
                vertx.cancelTimer(previous.timerId());
            }
            ObjectNode copy = msg.deepCopy();
            copy.put("id", exposed);
            target.send(copy.toString());
            serverRequests.increment();
            return;
        }
        ObjectNode copy = msg;
        switch (method) {
            case "notifications/tools/list_changed", "notifications/prompts/list_changed",
                 "notifications/resources/list_changed" -> {
                return; // the broker announces changes of the aggregate itself
            }
            case "notifications/progress" -> {
                JsonNode token = msg.path("params").get("progressToken");
                JsonNode original = token != null && token.isTextual() && session != null ? session.progressTokens.get(token.asText()) : null;
                if (original != null) {
                    copy = msg.deepCopy();
                    ((ObjectNode) copy.get("params")).set("progressToken", original);
                }
            }
            case "notifications/cancelled" -> {
                JsonNode requestId = msg.path("params").get("requestId");
                if (requestId != null && session != null) {
                    String exposed = ServerRequestIds.encode(backend.id(), requestId);
                    ClientSession.PendingServerRequest pending = session.pending.remove(exposed);
                    if (pending != null) {
                        vertx.cancelTimer(pending.timerId());
                    }
                    copy = msg.deepCopy();
                    ((ObjectNode) copy.get("params")).put("requestId", exposed);
                }
            }
            case "notifications/resources/updated" -> {
                JsonNode uri = msg.path("params").get("uri");
                if (uri != null && uri.isTextual()) {
                    copy = msg.deepCopy();
                    ((ObjectNode) copy.get("params")).put("uri", aggregator.features().exposeUri(backend.id(), uri.asText()));
                }
            }
            default -> {
                // logging messages and anything else pass through untouched
            }
        }
        if (target != null) {
            target.send(copy.toString());
        }
    }

    /** A server-to-client request the client did not answer in time: the backend gets an error, the client a cancel. */
    private void expire(ClientSession session, String exposed) {
        ClientSession.PendingServerRequest pending = session.pending.remove(exposed);
        if (pending == null) {
            return;
        }
        session.expired(exposed);
        Backend backend = supervisor.get(pending.serverId());
        if (backend != null) {
            sessions.deliver(session, backend, JsonRpc.error(pending.originalId(), JsonRpcErrors.INTERNAL_ERROR,
                    "Request timed out: the client did not answer within " + config.serverRequestTimeout())).subscribe().with(r -> {
            }, f -> {
            });
        }
        EventStream standalone = session.standalone();
        if (standalone != null) {
            standalone.send(JsonRpc.cancelled(TextNode.valueOf(exposed), "timed out waiting for the client").toString());
        }
        serverRequestTimeouts.increment();
    }

    /** The client's answer to a server-to-client request goes back to the backend that asked, under its own id. */
    private void clientAnswer(Exchange ex, ClientSession session, ObjectNode message) {
        JsonNode id = message.get("id");
        String exposed = id.isTextual() ? id.asText() : null;
        ClientSession.PendingServerRequest pending = exposed == null ? null : session.pending.remove(exposed);
        if (pending != null) {
            vertx.cancelTimer(pending.timerId());
        } else if (exposed != null && session.hasExpired(exposed)) {
            // The backend already got a timeout error for it: a second answer to one request would be a protocol
            // error there. The client was told with notifications/cancelled; its late answer is dropped.
            LOG.debugf("Dropping the late answer to server request %s of session %s", exposed, session.id());
            ex.accepted();
            return;
        }
        ServerRequestIds.Decoded decoded = pending != null
                ? new ServerRequestIds.Decoded(pending.serverId(), pending.originalId())
                : exposed == null ? null : ServerRequestIds.decode(mapper, exposed); // asked through another replica
        Backend backend = decoded == null ? null : supervisor.get(decoded.serverId());
        if (backend == null) {
            ex.reply(400, JsonRpc.error(id, JsonRpcErrors.INVALID_REQUEST, "No pending server request with id " + id), "rejected");
            return;
        }
        ObjectNode copy = message.deepCopy();
        copy.set("id", decoded.originalId());
        sessions.deliver(session, backend, copy).subscribe().with(
                reply -> ex.accepted(),
                failure -> ex.reply(502, JsonRpc.error(id, JsonRpcErrors.BACKEND_UNAVAILABLE,
                        "Server '" + backend.id() + "' did not take the answer: " + failure.getMessage()), "backend_error"));
    }

    /** A client notification: cancellations go to the backend running the request; others to every backend session. */
    private void clientNotification(Exchange ex, ClientSession session, String method, ObjectNode message) {
        switch (method) {
            case "notifications/initialized" -> ex.accepted();
            case "notifications/cancelled" -> {
                JsonNode requestId = message.path("params").get("requestId");
                ClientSession.InFlight inFlight = requestId == null ? null : session.inFlight.get(requestId.toString());
                Backend backend = inFlight == null ? null : supervisor.get(inFlight.serverId());
                if (backend != null) {
                    sessions.cancel(session, backend, inFlight.backendId(), message.path("params").path("reason").asText(null))
                            .subscribe().with(r -> {
                            }, f -> {
                            });
                }
                ex.accepted();
            }
            default -> {
                for (Backend backend : sessions.openBackends(session)) {
                    sessions.deliver(session, backend, message).subscribe().with(r -> {
                    }, f -> LOG.debugf("%s to %s failed: %s", method, backend.id(), f.getMessage()));
                }
                ex.accepted();
            }
        }
    }

    // --- stateless 2026-07-28 -------------------------------------------------------------------------------

    /**
     * A request of the stateless protocol: checks the version and the routing headers, answers discovery and
     * lists itself, and forwards the rest through the broker's own session with the owning backend (a stateful
     * backend) or statelessly (a stateless backend). Server-to-client requests cannot reach a stateless client
     * and are refused to the backend.
     */
    private void statelessRequest(Exchange ex, JsonNode id, String method, ObjectNode params) {
        ex.method = "stateless";
        String header = ex.ctx.request().getHeader(McpHeaders.PROTOCOL_VERSION);
        String metaVersion = params == null ? null : params.path("_meta").path(McpVersions.META_PROTOCOL_VERSION).asText(null);
        if (header != null && metaVersion != null && !header.equals(metaVersion)) {
            ex.reply(400, JsonRpc.error(id, JsonRpcErrors.HEADER_MISMATCH, "Header mismatch: MCP-Protocol-Version " + header
                    + " does not match _meta " + McpVersions.META_PROTOCOL_VERSION + " " + metaVersion), "rejected");
            return;
        }
        String version = metaVersion != null ? metaVersion : header;
        if (version != null && !McpVersions.STATELESS.equals(version)) {
            ObjectNode error = JsonRpc.error(id, JsonRpcErrors.UNSUPPORTED_PROTOCOL_VERSION,
                    "Unsupported protocol version " + version + " without a session: initialize first, or use " + McpVersions.STATELESS);
            ObjectNode data = ((ObjectNode) error.get("error")).putObject("data");
            data.put("requested", version);
            ArrayNode supported = data.putArray("supported");
            McpVersions.ALL.forEach(supported::add);
            ex.reply(400, error, "rejected");
            return;
        }
        String methodHeader = ex.ctx.request().getHeader(McpHeaders.METHOD);
        if (!method.equals(methodHeader)) {
            ex.reply(400, JsonRpc.error(id, JsonRpcErrors.HEADER_MISMATCH, methodHeader == null
                    ? "Header mismatch: Mcp-Method header is required"
                    : "Header mismatch: Mcp-Method " + methodHeader + " does not match method " + method), "rejected");
            return;
        }
        String name = McpVersions.nameOf(method, params);
        String nameHeader = ex.ctx.request().getHeader(McpHeaders.NAME);
        if (!java.util.Objects.equals(name, nameHeader)) {
            ex.reply(400, JsonRpc.error(id, JsonRpcErrors.HEADER_MISMATCH, nameHeader == null
                    ? "Header mismatch: Mcp-Name header is required for " + method
                    : "Header mismatch: Mcp-Name " + nameHeader + " does not match the request"), "rejected");
            return;
        }
        if (id == null) {
            ex.accepted(); // notifications carry nothing a stateless exchange could act on
            return;
        }
        ObjectNode p = params == null ? mapper.createObjectNode() : params; // this request's own: rewritten in place
        switch (method) {
            case "server/discover" -> {
                ObjectNode result = mapper.createObjectNode();
                result.put("resultType", "complete");
                ArrayNode supported = result.putArray("supportedVersions");
                McpVersions.ALL.forEach(supported::add);
                result.set("capabilities", capabilities());
                ObjectNode info = result.putObject("serverInfo");
                info.put("name", "manifold-broker");
                info.put("version", "0.1.0");
                ex.reply(200, JsonRpc.result(id, result), "ok");
            }
            case "tools/list" -> listTools(ex, null, id, p);
            case "prompts/list" -> listFeature(ex, null, id, p, aggregator.features().prompts(), "prompts");
            case "resources/list" -> listFeature(ex, null, id, p, aggregator.features().resources(), "resources");
            case "resources/templates/list" -> listFeature(ex, null, id, p, aggregator.features().templates(), "resourceTemplates");
            case "initialize", "ping", "logging/setLevel", "resources/subscribe", "resources/unsubscribe" ->
                    ex.reply(200, JsonRpc.error(id, JsonRpcErrors.METHOD_NOT_FOUND, "Method not found: " + method
                            + " is not part of the stateless " + McpVersions.STATELESS + " protocol"), "error");
            default -> {
                Target target = route(method, p);
                if (target.error != null) {
                    ex.reply(200, JsonRpc.error(id, target.errorCode, target.error), "error");
                } else {
                    forwardStateless(ex, id, target.serverId, method, p, target.resultUris);
                }
            }
        }
    }

    private void forwardStateless(Exchange ex, JsonNode clientId, String serverId, String method, ObjectNode params,
                                  boolean resultUris) {
        routedTo(serverId);
        Backend backend = supervisor.get(serverId);
        if (backend == null || backend.state() != BackendState.READY) {
            ex.reply(200, JsonRpc.error(clientId, JsonRpcErrors.BACKEND_UNAVAILABLE, "Server '" + serverId + "' is unavailable"), "backend_error");
            return;
        }
        if (!backend.stateless() && params.get("_meta") instanceof ObjectNode meta) {
            meta.remove(List.of(McpVersions.META_PROTOCOL_VERSION, McpVersions.META_CLIENT_CAPABILITIES, McpVersions.META_CLIENT_INFO));
            if (meta.isEmpty()) {
                params.remove("_meta");
            }
        }
        ObjectNode request = supervisor.request(method, params);
        Relay relay = new Relay(ex, null, backend);
        http.post(backend.entry().url(), backend.discoverySessionId(), backend.protocolVersion(), request, false, relay)
                // the time-box cancels the exchange (resetting its request); the backend is told to stop too
                .ifNoItem().after(config.callTimeout()).recoverWithUni(() -> {
                    ObjectNode cancel = JsonRpc.cancelled(request.get("id"), "timed out: no answer within " + config.callTimeout());
                    http.post(backend.entry().url(), backend.discoverySessionId(), backend.protocolVersion(), cancel, false, null)
                            .subscribe().with(r -> {
                            }, f -> LOG.debugf("Cancelling %s on %s failed: %s", request.get("id"), serverId, f.getMessage()));
                    return Uni.createFrom().failure(BackendException.timedOut("backend-call"));
                })
                .subscribe().with(reply -> {
                    JsonNode answer = reply.message();
                    if (answer == null) {
                        relay.complete(JsonRpc.error(clientId, JsonRpcErrors.BACKEND_UNAVAILABLE, "Server '" + serverId + "' sent no answer"), "backend_error");
                        return;
                    }
                    ObjectNode out = JsonRpc.readdress(answer, clientId);
                    if (out.get("result") instanceof ObjectNode result) {
                        stamp(null, result);
                        if (resultUris && result.path("contents") instanceof ArrayNode contents) {
                            contents.forEach(c -> {
                                if (c instanceof ObjectNode item && item.path("uri").isTextual()) {
                                    item.put("uri", aggregator.features().exposeUri(serverId, item.get("uri").asText()));
                                }
                            });
                        }
                    }
                    relay.complete(out, answer.has("error") ? "error" : "ok");
                }, failure -> relay.complete(JsonRpc.error(clientId, JsonRpcErrors.BACKEND_UNAVAILABLE,
                        "Server '" + serverId + "' is unavailable: " + failure.getMessage()), "backend_error"));
    }

    // --- GET and DELETE -------------------------------------------------------------------------------------

    private void get(RoutingContext ctx) {
        Exchange ex = new Exchange(ctx, System.nanoTime());
        ex.method = "stream";
        if (!originAllowed(ctx)) {
            ex.reply(403, JsonRpc.error(null, JsonRpcErrors.INVALID_REQUEST, "Origin not allowed"), "rejected");
            return;
        }
        String accept = ctx.request().getHeader("Accept");
        if (accept == null || !accept.contains("text/event-stream")) {
            ex.reply(406, JsonRpc.error(null, JsonRpcErrors.INVALID_REQUEST, "Not Acceptable: GET /mcp needs Accept: text/event-stream"), "rejected");
            return;
        }
        withSession(ex, null, session -> {
            HttpServerResponse response = ctx.response();
            response.setStatusCode(200)
                    .setChunked(true)
                    .putHeader("Content-Type", "text/event-stream")
                    .putHeader("Cache-Control", "no-cache");
            response.write(": manifold stream open\n\n");
            sessions.attachStream(session, response, ctx.request().getHeader("Last-Event-ID"));
            ex.count("ok");
        });
    }

    private void delete(RoutingContext ctx) {
        Exchange ex = new Exchange(ctx, System.nanoTime());
        ex.method = "delete";
        if (!originAllowed(ctx)) {
            ex.reply(403, JsonRpc.error(null, JsonRpcErrors.INVALID_REQUEST, "Origin not allowed"), "rejected");
            return;
        }
        withSession(ex, null, session -> sessions.delete(session).subscribe().with(deleted -> {
            ctx.response().setStatusCode(200).end();
            ex.count("ok");
        }, failure -> ex.unavailable(null, failure)));
    }

    /**
     * Names the request's server span after the MCP conventions: the method, and the tool or prompt it calls
     * (a no-op while tracing is off). Log lines of the request carry the session id through the MDC instead.
     */
    private static void traced(String method, JsonNode params) {
        Span span = Span.current();
        if (!span.getSpanContext().isValid()) {
            return;
        }
        span.setAttribute(Telemetry.ATTR_METHOD, method);
        if (params != null && params.path("name").isTextual()) {
            if ("tools/call".equals(method)) {
                span.setAttribute(Telemetry.ATTR_TOOL, params.get("name").asText());
            } else if ("prompts/get".equals(method)) {
                span.setAttribute(Telemetry.ATTR_PROMPT, params.get("name").asText());
            }
        }
    }

    /** The request goes to {@code serverId}: its span and its log lines say so. */
    private static void routedTo(String serverId) {
        Mdc.request(Telemetry.MDC_SERVER_ID, serverId);
        Span.current().setAttribute(Telemetry.ATTR_SERVER, serverId);
    }

    /**
     * Runs {@code then} with the session the request names, after answering 400 (no header, bad protocol
     * version), 404 (unknown or deleted session) or 503 (session store unreachable) otherwise.
     */
    private void withSession(Exchange ex, JsonNode id, Consumer<ClientSession> then) {
        String sid = ex.ctx.request().getHeader(McpHeaders.SESSION_ID);
        if (sid == null || sid.isBlank()) {
            ex.reply(400, JsonRpc.error(id, JsonRpcErrors.INVALID_REQUEST, "Bad Request: Mcp-Session-Id header is required (initialize first)"), "rejected");
            return;
        }
        Mdc.request(Telemetry.MDC_SESSION_ID, sid);
        String version = ex.ctx.request().getHeader(McpHeaders.PROTOCOL_VERSION);
        if (version != null && !McpVersions.SUPPORTED.contains(version)) {
            ex.reply(400, JsonRpc.error(id, JsonRpcErrors.INVALID_REQUEST, "Bad Request: unsupported MCP-Protocol-Version " + version), "rejected");
            return;
        }
        sessions.find(sid).subscribe().with(session -> {
            if (session == null) {
                ex.reply(404, JsonRpc.error(id, JsonRpcErrors.SESSION_NOT_FOUND, "Session not found: initialize a new session"), "unknown_session");
            } else {
                then.accept(session);
            }
        }, failure -> ex.unavailable(id, failure));
    }

    /** Whether local answers go as SSE: configured, or (auto) when every ready backend answers with streams. */
    private boolean streamLocalAnswers() {
        String mode = config.localResponses();
        if ("sse".equalsIgnoreCase(mode)) {
            return true;
        }
        if (!"auto".equalsIgnoreCase(mode)) {
            return false;
        }
        boolean any = false;
        for (Backend backend : supervisor.all()) {
            if (backend.state() == BackendState.READY) {
                if (!backend.streams()) {
                    return false;
                }
                any = true;
            }
        }
        return any;
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
        /** Whether the client's Accept header allows an SSE answer. */
        boolean sseAccepted;

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
            reply(503, JsonRpc.error(id, JsonRpcErrors.INTERNAL_ERROR, "Session store unavailable, retry shortly"), "unavailable");
        }

        /** Answers with what the broker itself computed: JSON, or a one-event SSE stream when configured so. */
        void local(ClientSession session, ObjectNode answer) {
            if (!sseAccepted || !streamLocalAnswers()) {
                reply(200, answer, "ok");
                return;
            }
            EventStream stream = openStream(session);
            stream.send(answer.toString());
            if (session != null) {
                sessions.finishPostStream(session, stream);
            } else {
                stream.finish();
            }
            count("ok");
        }

        /** Starts an SSE answer; for 2025-11-25 and later it begins with the priming event. */
        EventStream openStream(ClientSession session) {
            HttpServerResponse response = ctx.response();
            response.setStatusCode(200).setChunked(true)
                    .putHeader("Content-Type", "text/event-stream")
                    .putHeader("Cache-Control", "no-cache");
            EventStream stream = session == null ? EventStream.detached() : sessions.openPostStream(session);
            stream.attach(response, 0);
            String version = ctx.request().getHeader(McpHeaders.PROTOCOL_VERSION);
            if (version == null && session != null) {
                version = session.protocolVersion();
            }
            if (session != null && version != null && version.compareTo("2025-11-25") >= 0 && !McpVersions.STATELESS.equals(version)) {
                stream.prime(config.sseRetry().toMillis());
            }
            return stream;
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
