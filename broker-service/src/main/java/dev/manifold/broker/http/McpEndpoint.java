package dev.manifold.broker.http;

import dev.manifold.runtime.limits.SessionQuota;

import dev.manifold.runtime.JsonRpcMessage;
import dev.manifold.runtime.auth.Caller;
import dev.manifold.runtime.http.OriginPolicy;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.manifold.broker.relay.ServerMessages;
import dev.manifold.broker.reply.Exchange;
import dev.manifold.broker.reply.Replies;
import dev.manifold.broker.rpc.Capabilities;
import dev.manifold.broker.rpc.Dispatcher;
import dev.manifold.broker.rpc.StatelessRequests;
import dev.manifold.broker.session.ClientSession;
import dev.manifold.broker.session.ClientSessions;
import dev.manifold.broker.session.ClientStreams;
import dev.manifold.broker.settings.BrokerConfig;
import dev.manifold.broker.telemetry.Mdc;
import dev.manifold.broker.upstream.JsonRpc;
import dev.manifold.contracts.JsonRpcErrors;
import dev.manifold.contracts.McpHeaders;
import dev.manifold.contracts.McpVersions;
import dev.manifold.contracts.Telemetry;
import io.opentelemetry.api.trace.Span;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The client-facing MCP endpoint, transport only: {@code POST/GET/DELETE /mcp} (Streamable HTTP), the Origin check,
 * parsing and validating one JSON-RPC message, {@code initialize}, and the session a request names. What a message
 * asks for is the {@link Dispatcher}'s (a session's requests), {@link StatelessRequests}' (2026-07-28) or
 * {@link ServerMessages}' (answers and notifications towards backends). Malformed input gets a JSON-RPC error and a
 * 4xx, never a 500. Never blocks the event loop.
 */
@ApplicationScoped
public class McpEndpoint {
    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(McpEndpoint.class);
    private static final Set<String> METHOD_LABELS = Set.of("initialize", "ping", "tools/list", "tools/call",
            "prompts/list", "prompts/get", "resources/list", "resources/templates/list", "resources/read",
            "resources/subscribe", "resources/unsubscribe", "completion/complete", "logging/setLevel", "server/discover");

    private final ObjectMapper mapper;
    private final BrokerConfig config;
    private final ClientSessions sessions;
    private final ClientStreams streams;
    private final Replies replies;
    private final Dispatcher dispatcher;
    private final StatelessRequests stateless;
    private final ServerMessages messages;
    private final Capabilities capabilities;
    private final Authentication authentication;
    private final OriginPolicy originPolicy;

    public McpEndpoint(ObjectMapper mapper, BrokerConfig config, ClientSessions sessions, ClientStreams streams,
                       Replies replies,
                       Dispatcher dispatcher, StatelessRequests stateless, ServerMessages messages,
                       Capabilities capabilities, Authentication authentication) {
        this.authentication = authentication;
        this.originPolicy = new OriginPolicy(config.allowedOrigins().orElse(List.of()),
                config.allowedHosts().orElse(List.of()), config.configFile().isPresent());
        this.mapper = mapper;
        this.config = config;
        this.sessions = sessions;
        this.streams = streams;
        this.replies = replies;
        this.dispatcher = dispatcher;
        this.stateless = stateless;
        this.messages = messages;
        this.capabilities = capabilities;
    }

    void routes(@Observes Router router) {
        // Media types first: a form body is refused before the body handler would decode it.
        router.post("/mcp").handler(this::mediaTypes);
        router.post("/mcp").handler(BodyHandler.create(false).setBodyLimit(config.maxRequestBody().asLongValue()));
        router.post("/mcp").handler(this::post);
        router.get("/mcp").handler(this::get);
        router.delete("/mcp").handler(this::delete);
        // Every other answer on an MCP path is a JSON-RPC error too: other methods, paths below /mcp, failures
        // (the body handler's 413).
        router.route("/mcp").handler(this::methodNotAllowed);
        router.route("/mcp/*").handler(ctx -> replies.start(ctx).reply(404, JsonRpc.error(null,
                JsonRpcErrors.INVALID_REQUEST, "Not Found: the MCP endpoint is /mcp"), "rejected"));
        router.route("/mcp").failureHandler(this::failed);
        router.route("/mcp/*").failureHandler(this::failed);
    }

    /**
     * POST needs {@code Content-Type: application/json} (415 otherwise) and an {@code Accept} that admits JSON or
     * an event stream when it names anything (406 otherwise), as the MCP transport says and the SDK servers behind
     * the proxy-runner answer.
     */
    private void mediaTypes(RoutingContext ctx) {
        String type = ctx.request().getHeader("Content-Type");
        if (type == null || !type.toLowerCase(java.util.Locale.ROOT).strip().startsWith("application/json")) {
            ctx.request().resume();
            replies.start(ctx).reply(415, JsonRpc.error(null, JsonRpcErrors.INVALID_REQUEST,
                    "Unsupported Media Type: POST /mcp takes Content-Type: application/json"), "rejected");
            return;
        }
        String accept = ctx.request().getHeader("Accept");
        if (accept != null && !accept.isBlank()) {
            String a = accept.toLowerCase(java.util.Locale.ROOT);
            if (!(a.contains("application/json") || a.contains("text/event-stream") || a.contains("*/*")
                    || a.contains("application/*") || a.contains("text/*"))) {
                ctx.request().resume();
                replies.start(ctx).reply(406, JsonRpc.error(null, JsonRpcErrors.INVALID_REQUEST,
                        "Not Acceptable: POST /mcp answers application/json or text/event-stream"), "rejected");
                return;
            }
        }
        ctx.next();
    }

    private void methodNotAllowed(RoutingContext ctx) {
        ctx.response().putHeader("Allow", "GET, POST, DELETE");
        replies.start(ctx).reply(405, JsonRpc.error(null, JsonRpcErrors.INVALID_REQUEST,
                "Method Not Allowed: /mcp takes POST, GET and DELETE"), "rejected");
    }

    /**
     * A failed request on an MCP path (the body handler's 413, a client that went away mid-upload): a JSON-RPC
     * error with the failure's status, logged at DEBUG (an anonymous caller must not be able to flood the log).
     */
    private void failed(RoutingContext ctx) {
        int status = ctx.statusCode() > 0 ? ctx.statusCode() : 500;
        LOG.debugf("Request on %s failed with %d: %s", ctx.request().path(), status, ctx.failure());
        if (ctx.response().ended() || ctx.response().closed()) {
            return;
        }
        String message = switch (status) {
            case 413 -> "Payload Too Large: the body exceeds max-request-body (" + config.maxRequestBody().asLongValue() + " bytes)";
            case 500 -> "Internal error";
            default -> "Request failed (HTTP " + status + ")";
        };
        replies.start(ctx).reply(status, JsonRpc.error(null, status == 500 ? JsonRpcErrors.INTERNAL_ERROR
                : JsonRpcErrors.INVALID_REQUEST, message), status == 500 ? "error" : "rejected");
    }

    // --- POST -----------------------------------------------------------------------------------------------

    private void post(RoutingContext ctx) {
        Exchange ex = replies.start(ctx);
        if (!originAllowed(ctx)) {
            ex.reply(403, JsonRpc.error(null, JsonRpcErrors.INVALID_REQUEST, "Origin or Host not allowed"), "rejected");
            return;
        }
        authentication.authenticate(ex, caller -> post(ctx, ex, caller));
    }

    private void post(RoutingContext ctx, Exchange ex, Caller caller) {
        Buffer body = ctx.body() == null ? null : ctx.body().buffer();
        if (body == null || body.length() == 0) {
            ex.reply(400, JsonRpc.error(null, JsonRpcErrors.PARSE_ERROR, "Parse error: empty body"), "rejected");
            return;
        }
        JsonNode message;
        try {
            message = mapper.readTree(body.getBytes());
        } catch (com.fasterxml.jackson.core.exc.StreamConstraintsException e) {
            ex.reply(400, JsonRpc.error(null, JsonRpcErrors.PARSE_ERROR, "Parse error: the body nests deeper than "
                    + config.maxJsonDepth() + " levels (max-json-depth)"), "rejected");
            return;
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
        JsonRpcMessage rpc = JsonRpcMessage.of(message).orElse(null);
        if (rpc instanceof JsonRpcMessage.Response || rpc instanceof JsonRpcMessage.ErrorResponse) {
            if (id != null) {
                ex.method = "response";
                withSession(ex, caller, null, session -> messages.clientAnswer(ex, session, rpc.raw()));
                return;
            }
        }
        if (rpc == null || rpc.method() == null) {
            ex.reply(400, JsonRpc.error(id, JsonRpcErrors.INVALID_REQUEST, message.has("method")
                    ? "Invalid Request: method must be a string" : "Invalid Request: missing method"), "rejected");
            return;
        }
        String method = rpc.method();
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
            stateless.handle(ex, id, method, (ObjectNode) params);
            return;
        }
        if ("initialize".equals(method) && id != null) {
            initialize(ex, caller, id, params);
            return;
        }
        withSession(ex, caller, id, session -> {
            if (id == null) {
                messages.clientNotification(ex, session, method, (ObjectNode) message);
                return;
            }
            // The parsed message belongs to this request alone: routing rewrites its params in place.
            dispatcher.dispatch(ex, session, id, method, params == null ? mapper.createObjectNode() : (ObjectNode) params);
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

    private void initialize(Exchange ex, Caller caller, JsonNode id, JsonNode params) {
        if (params == null || !params.path("protocolVersion").isTextual()) {
            ex.reply(200, JsonRpc.error(id, JsonRpcErrors.INVALID_PARAMS, "Invalid params: initialize needs params.protocolVersion"), "error");
            return;
        }
        String version = McpVersions.negotiate(params.get("protocolVersion").asText());
        JsonNode capabilities = params.get("capabilities") instanceof ObjectNode caps ? caps : null;
        sessions.create(version, params.get("clientInfo"), capabilities, caller.key()).subscribe().with(
                session -> {
                    Mdc.request(Telemetry.MDC_SESSION_ID, session.id());
                    initialized(ex, id, session, version);
                },
                failure -> {
                    if (failure instanceof SessionQuota.Exceeded exceeded) {
                        ex.reply(429, JsonRpc.error(id, JsonRpcErrors.TOO_MANY_REQUESTS, exceeded.getMessage()), "limited");
                    } else {
                        ex.unavailable(id, failure);
                    }
                });
    }

    private void initialized(Exchange ex, JsonNode id, ClientSession session, String version) {
        ObjectNode result = mapper.createObjectNode();
        result.put("protocolVersion", version);
        result.set("capabilities", capabilities.advertised());
        ObjectNode info = result.putObject("serverInfo");
        info.put("name", "manifold-broker");
        info.put("version", "0.1.0");
        ex.ctx.response().putHeader(McpHeaders.SESSION_ID, session.id());
        ex.local(session, JsonRpc.result(id, result));
    }

    // --- GET and DELETE -------------------------------------------------------------------------------------

    private void get(RoutingContext ctx) {
        Exchange ex = replies.start(ctx);
        ex.method = "stream";
        if (!originAllowed(ctx)) {
            ex.reply(403, JsonRpc.error(null, JsonRpcErrors.INVALID_REQUEST, "Origin or Host not allowed"), "rejected");
            return;
        }
        String accept = ctx.request().getHeader("Accept");
        if (accept == null || !accept.contains("text/event-stream")) {
            ex.reply(406, JsonRpc.error(null, JsonRpcErrors.INVALID_REQUEST, "Not Acceptable: GET /mcp needs Accept: text/event-stream"), "rejected");
            return;
        }
        authentication.authenticate(ex, caller -> withSession(ex, caller, null, session -> {
            HttpServerResponse response = ctx.response();
            response.setStatusCode(200)
                    .setChunked(true)
                    .putHeader("Content-Type", "text/event-stream")
                    .putHeader("Cache-Control", "no-cache");
            response.write(": manifold stream open\n\n");
            streams.attachStream(session, response, ctx.request().getHeader("Last-Event-ID"));
            ex.count("ok");
        }));
    }

    private void delete(RoutingContext ctx) {
        Exchange ex = replies.start(ctx);
        ex.method = "delete";
        if (!originAllowed(ctx)) {
            ex.reply(403, JsonRpc.error(null, JsonRpcErrors.INVALID_REQUEST, "Origin or Host not allowed"), "rejected");
            return;
        }
        authentication.authenticate(ex, caller -> withSession(ex, caller, null, session -> sessions.delete(session)
                .subscribe().with(deleted -> {
                    ctx.response().setStatusCode(200).end();
                    ex.count("ok");
                }, failure -> ex.unavailable(null, failure))));
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

    /**
     * Runs {@code then} with the session the request names, after answering 400 (no header, bad protocol
     * version), 404 (unknown or deleted session, or another caller's: the same answer, so a session's existence
     * never leaks) or 503 (session store unreachable) otherwise.
     */
    private void withSession(Exchange ex, Caller caller, JsonNode id, Consumer<ClientSession> then) {
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
            if (session == null || !caller.owns(session.principal())) {
                ex.reply(404, JsonRpc.error(id, JsonRpcErrors.SESSION_NOT_FOUND, "Session not found: initialize a new session"), "unknown_session");
            } else {
                session.clientToken(ex.client);
                then.accept(session);
            }
        }, failure -> ex.unavailable(id, failure));
    }

    /**
     * DNS-rebinding protection (runtime's {@link OriginPolicy}): a listed or loopback Origin, and a listed Host (or a
     * loopback one in standalone mode); otherwise 403 before any other work.
     */
    private boolean originAllowed(RoutingContext ctx) {
        return originPolicy.originAllowed(ctx.request().getHeader("Origin"))
                && originPolicy.hostNameAllowed(ctx.request().authority() == null ? null : ctx.request().authority().host());
    }

}
