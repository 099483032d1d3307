package dev.manifold.proxy.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.manifold.runtime.JsonRpcMessage;
import dev.manifold.runtime.auth.Caller;
import dev.manifold.runtime.limits.SessionQuota;
import dev.manifold.runtime.http.OriginPolicy;
import dev.manifold.contracts.JsonRpcErrors;
import dev.manifold.contracts.McpHeaders;
import dev.manifold.contracts.McpVersions;
import dev.manifold.contracts.SessionRecord;
import dev.manifold.proxy.ProxyConfig;
import dev.manifold.proxy.http.ProxyMetrics.ReinitReason;
import dev.manifold.proxy.route.PodPicker;
import dev.manifold.proxy.route.PodTarget;
import dev.manifold.proxy.route.Route;
import dev.manifold.proxy.route.RouteTable;
import dev.manifold.proxy.session.SessionIds;
import dev.manifold.proxy.session.Sessions;
import dev.manifold.proxy.session.StoreUnavailableException;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import jakarta.inject.Singleton;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;
import org.jboss.logging.MDC;
import io.opentelemetry.api.trace.Span;
import io.smallrye.common.vertx.VertxContext;
import dev.manifold.contracts.Telemetry;

import java.nio.charset.StandardCharsets;

/**
 * Serves {@code /{namespace}/{name}/mcp}, the entry and dispatch of every request: pins each new MCP session to one
 * pod ({@code initialize}), sends follow-ups and DELETE to the pinned pod with the pod's own session id, and sends
 * stateless requests to any ready pod. Moving a session to another pod is {@link SessionReplay}'s, writing the
 * answer {@link Exchange}'s, talking to pods {@link PodClient}'s. Sessions live in {@link Sessions}, routes in
 * {@link RouteTable}. Never blocks an event loop and never forwards a request to a pod outside the route's ready set.
 */
@Singleton
public class SessionRouter {

    private static final Logger LOG = Logger.getLogger(SessionRouter.class);
    private final Authentication authentication;
    private final OriginPolicy originPolicy;
    private final long maxInitialize;

    /** The MCP header names, pre-hashed: the lookups on every request hash nothing. */
    static final CharSequence SESSION_HEADER_NAME = HttpHeaders.createOptimized(McpHeaders.SESSION_ID);
    static final CharSequence PROTOCOL_HEADER_NAME = HttpHeaders.createOptimized(McpHeaders.PROTOCOL_VERSION);

    private final ProxyConfig config;
    private final RouteTable routes;
    private final Sessions sessions;
    private final PodPicker picker;
    private final SessionIds ids;
    private final ProxyMetrics metrics;
    private final Vertx vertx;
    private final long maxBody;
    private final long responseTimeoutMs;
    /** The requests to the pods (one HTTP client per event loop). */
    private PodClient podClient;
    /** GET streams only: their own pool, so streams a client never reads cannot starve requests. */
    private PodClient streamClient;
    private OpenStreams openStreams;
    private SessionReplay sessionReplay;

    public SessionRouter(ProxyConfig config, RouteTable routes, Sessions sessions, PodPicker picker, SessionIds ids,
                         ProxyMetrics metrics, Vertx vertx, Authentication authentication) {
        this.authentication = authentication;
        this.originPolicy = new OriginPolicy(config.allowedOrigins().orElse(java.util.List.of()),
                config.allowedHosts().orElse(java.util.List.of()), config.routesFile().isPresent());
        this.config = config;
        this.routes = routes;
        this.sessions = sessions;
        this.picker = picker;
        this.ids = ids;
        this.metrics = metrics;
        this.vertx = vertx;
        this.maxBody = config.maxBodySize().asLongValue();
        this.json = RequestBody.mapper(config.maxJsonDepth());
        this.maxInitialize = config.maxInitializeSize().asLongValue();
        this.responseTimeoutMs = config.responseTimeout().toMillis();
    }

    /** Parses the bodies this router reads, within max-json-depth. */
    private final com.fasterxml.jackson.databind.ObjectMapper json;

    void register(@Observes Router router) {
        int eventLoops = EventLoops.count();
        // manifold.proxy.max-connections-per-pod is the total per pod: split across the per-loop pools.
        HttpClientOptions clientOptions = new HttpClientOptions()
                .setConnectTimeout((int) config.connectTimeout().toMillis())
                .setMaxPoolSize(Math.max(1, (config.maxConnectionsPerPod() + eventLoops - 1) / eventLoops))
                .setKeepAlive(true)
                .setPipelining(false)
                .setTryUseCompression(false);
        long poolWaitMs = Math.max(config.poolWaitTimeout().toMillis(), config.connectTimeout().toMillis() + 1000);
        podClient = new PodClient(vertx, clientOptions, responseTimeoutMs, poolWaitMs);
        streamClient = new PodClient(vertx, new HttpClientOptions(clientOptions)
                .setMaxPoolSize(Math.max(1, (config.maxStreamsPerPod() + eventLoops - 1) / eventLoops)),
                responseTimeoutMs, poolWaitMs);
        openStreams = new OpenStreams(config.maxStreamsPerSession());
        sessionReplay = new SessionReplay(podClient, sessions, picker, metrics);
        // Every path passes here first; only /{namespace}/{name}/mcp stays (McpPath, no regex), the rest goes on.
        router.route().handler(ctx -> {
            String serverId = McpPath.serverId(ctx.request().path());
            if (serverId == null) {
                ctx.next();
            } else {
                handle(ctx.request(), serverId);
            }
        });
        // A path nothing else serves (not an MCP route, not /q/...) is answered as the MCP routes are: JSON-RPC.
        router.route().last().handler(ctx -> {
            Exchange ex = new Exchange(metrics, ctx.request(), System.nanoTime());
            ex.server = ProxyMetrics.UNROUTED;
            ctx.request().resume();
            ex.error(404, null, JsonRpcErrors.INVALID_REQUEST,
                    "Not Found: MCP servers are routed at /{namespace}/{name}/mcp", ProxyOutcome.UNKNOWN_ROUTE);
        });
        if (vertx.isNativeTransportEnabled()) {
            LOG.infof("Transport: native (epoll), %d event loop(s)", eventLoops);
        } else {
            Throwable cause = vertx.unavailableNativeTransportCause();
            LOG.infof("Transport: NIO, %d event loop(s) (native transport unavailable: %s)", eventLoops,
                    cause == null ? "not requested" : cause.toString());
        }
    }

    void stop(@Observes ShutdownEvent event) {
        podClient.close();
        streamClient.close();
    }

    // ---------------------------------------------------------------- entry

    private void handle(HttpServerRequest req, String serverId) {
        Exchange ex = new Exchange(metrics, req, System.nanoTime());
        if (!originPolicy.originAllowed(req.getHeader(HttpHeaders.ORIGIN))
                || !originPolicy.hostNameAllowed(req.authority() == null ? null : req.authority().host())) {
            ex.server = ProxyMetrics.UNROUTED;
            ex.error(403, null, JsonRpcErrors.INVALID_REQUEST, "Origin or Host not allowed", ProxyOutcome.BAD_REQUEST);
            return;
        }
        Route route = routes.routeOrNull(serverId);
        if (route == null) {
            ex.server = ProxyMetrics.UNROUTED;
            ex.error(404, null, JsonRpcErrors.INVALID_REQUEST,
                    "No MCP server is routed at /" + serverId + "/mcp", ProxyOutcome.UNKNOWN_ROUTE);
            return;
        }
        ex.server = route.serverId();
        labelRequest(Telemetry.MDC_SERVER_ID, route.serverId());
        Span.current().setAttribute(Telemetry.ATTR_SERVER, route.serverId());
        HttpMethod method = req.method();
        if (method != HttpMethod.POST && method != HttpMethod.GET && method != HttpMethod.DELETE) {
            ex.out.putHeader(HttpHeaders.ALLOW, "GET, POST, DELETE");
            ex.error(405, null, JsonRpcErrors.INVALID_REQUEST, "Method " + method + " is not allowed",
                    ProxyOutcome.BAD_REQUEST);
            return;
        }
        authentication.authenticate(ex, caller -> {
            ex.caller = caller;
            authenticated(ex, route, req, method);
        });
    }

    private void authenticated(Exchange ex, Route route, HttpServerRequest req, HttpMethod method) {
        String sid = req.getHeader(SESSION_HEADER_NAME);
        if (sid != null && !SessionIds.wellFormed(sid)) {
            ex.error(400, null, JsonRpcErrors.INVALID_REQUEST,
                    "Malformed Mcp-Session-Id header: not a session id issued by this gateway", ProxyOutcome.BAD_REQUEST);
            return;
        }
        if (sid != null) {
            labelRequest(Telemetry.MDC_SESSION_ID, sid);
        }
        boolean stateless = sid == null && McpVersions.STATELESS.equals(req.getHeader(PROTOCOL_HEADER_NAME));
        if (method == HttpMethod.POST) {
            if (RequestBody.tooLarge(ex, maxBody)) {
                return;
            }
            RequestBody.read(ex, maxBody, body -> post(ex, route, sid, stateless, body));
        } else if (sid == null) {
            if (method == HttpMethod.GET && stateless) {
                forwardStateless(ex, route, null);
            } else {
                ex.error(400, null, JsonRpcErrors.INVALID_REQUEST,
                        method + " requires the Mcp-Session-Id header", ProxyOutcome.BAD_REQUEST);
            }
        } else if (method == HttpMethod.DELETE) {
            req.resume();
            delete(ex, route, sid);
        } else {
            req.resume();
            followUp(ex, route, sid, null);
        }
    }

    private void post(Exchange ex, Route route, String sid, boolean stateless, Buffer body) {
        ex.body = body;
        if (sid != null) {
            // Follow-ups are not parsed (the pod validates them): only rule out what cannot be JSON-RPC at all.
            if (!RequestBody.looksLikeJson(body)) {
                ex.error(400, null, JsonRpcErrors.PARSE_ERROR,
                        "Parse error: the body must be a JSON-RPC message (a JSON object or array)", ProxyOutcome.BAD_REQUEST);
                return;
            }
            followUp(ex, route, sid, body);
            return;
        }
        JsonNode message = RequestBody.message(ex, body, json, config.maxJsonDepth());
        if (message == null) {
            return;
        }
        JsonRpcMessage rpc = JsonRpcMessage.of(message).orElse(null);
        ex.rpcId = rpc == null ? null : JsonRpcMessage.plainId(rpc.id());
        if (!stateless && rpc != null && "initialize".equals(rpc.method())) {
            if (body.length() > maxInitialize) {
                ex.error(413, ex.rpcId, JsonRpcErrors.INVALID_REQUEST, "Payload Too Large: an initialize body is kept with"
                        + " its session and may not exceed " + maxInitialize + " bytes (max-initialize-size)",
                        ProxyOutcome.BAD_REQUEST);
                return;
            }
            initialize(ex, route, body, rpc);
        } else {
            // No session: the stateless protocol, or a backend that does not use sessions.
            forwardStateless(ex, route, body);
        }
    }

    // ---------------------------------------------------------------- initialize

    private void initialize(Exchange ex, Route route, Buffer body, JsonRpcMessage message) {
        String sid = ids.mint();
        if (ex.caller == Caller.ANONYMOUS) {
            initializeOnPod(ex, route, body, message, sid); // no quota for anonymous callers: no store operation
            return;
        }
        // Before the pod sees anything: a refused initialize costs the pod no session.
        onContext(sessions.admit(ex.caller.key(), sid)).onComplete(ar -> {
            if (ar.succeeded()) {
                initializeOnPod(ex, route, body, message, sid);
            } else if (ar.cause() instanceof SessionQuota.Exceeded exceeded) {
                ex.error(429, null, JsonRpcErrors.TOO_MANY_REQUESTS, exceeded.getMessage(), ProxyOutcome.LIMITED);
            } else {
                ex.storeUnavailable(ar.cause());
            }
        });
    }

    private void initializeOnPod(Exchange ex, Route route, Buffer body, JsonRpcMessage message, String sid) {
        PodTarget pod = picker.pick(route, null).orElse(null);
        if (pod == null) {
            ex.noReadyPod(route);
            return;
        }
        picker.reserve(route, pod);
        podClient.forward(ex, pod, null, body)
                .map(resp -> new Answer(pod, resp))
                .recover(failure -> {
                    if (failure instanceof BackendUnreachableException) {
                        picker.connectFailed(pod);
                        PodTarget other = picker.pick(route, pod.name()).orElse(null);
                        if (other != null && !other.name().equals(pod.name())) {
                            return podClient.forward(ex, other, null, body).map(resp -> new Answer(other, resp));
                        }
                    }
                    return Future.failedFuture(failure);
                })
                .onComplete(ar -> picker.released(route, pod))
                .onSuccess(answer -> afterInitialize(ex, route, message, body, answer, sid))
                .onFailure(failure -> {
                    if (failure instanceof BackendUnreachableException) {
                        ex.noReadyPod(route); // every pod tried refused: none is actually ready
                    } else {
                        ex.backendFailed(failure);
                    }
                });
    }

    private void afterInitialize(Exchange ex, Route route, JsonRpcMessage message, Buffer body, Answer answer, String sid) {
        HttpClientResponse resp = answer.response;
        String backendSid = resp.getHeader(SESSION_HEADER_NAME);
        if (resp.statusCode() / 100 != 2 || backendSid == null) {
            // Refused, or a backend without sessions: pass through untouched, nothing to pin.
            ex.stream(resp, null, ProxyOutcome.FORWARDED);
            return;
        }
        resp.pause();
        JsonNode protocolVersion = message.raw().path("params").path("protocolVersion");
        String protocol = protocolVersion.isTextual() ? protocolVersion.asText() : null;
        SessionRecord record = new SessionRecord(sid, route.serverId(), answer.pod.name(),
                answer.pod.url().toString(), backendSid, body.toString(StandardCharsets.UTF_8), protocol,
                ex.caller.key(), System.currentTimeMillis());
        labelRequest(Telemetry.MDC_SESSION_ID, record.sid());
        onContext(sessions.create(record)).onComplete(ar -> {
            if (ar.succeeded() && ar.result()) {
                ex.stream(resp, record.sid(), ProxyOutcome.FORWARDED);
                return;
            }
            PodClient.abandon(resp);
            sessionReplay.closeBackendSession(answer.pod, backendSid, ex.req.getHeader(PROTOCOL_HEADER_NAME));
            ex.storeUnavailable(ar.failed() ? ar.cause() : new StoreUnavailableException("session id collision"));
        });
    }

    // ---------------------------------------------------------------- follow-ups

    private void followUp(Exchange ex, Route route, String sid, Buffer body) {
        SessionRecord cached = sessions.fresh(sid);
        if (cached != null) {
            followUp(ex, route, cached, body); // the common case: no store operation, no thread hop
            return;
        }
        onContext(sessions.find(sid)).onComplete(ar -> {
            if (ar.failed()) {
                ex.storeUnavailable(ar.cause());
                return;
            }
            followUp(ex, route, ar.result(), body);
        });
    }

    /** Another caller's session reads exactly as an unknown one, so its existence never leaks. */
    private static boolean servesCaller(SessionRecord record, Route route, Exchange ex) {
        return record != null && record.serverId().equals(route.serverId()) && ex.caller.owns(record.principal());
    }

    private void followUp(Exchange ex, Route route, SessionRecord record, Buffer body) {
        if (!servesCaller(record, route, ex)) {
            ex.sessionNotFound();
            return;
        }
        PodTarget pod = route.readyPod(record.pod());
        if (pod == null) {
            sessionReplay.replayThenRetry(ex, route, record, body, ReinitReason.POD_GONE);
            return;
        }
        boolean stream = ex.req.method() == HttpMethod.GET;
        if (stream && !openStreams.admit(record.sid(), ex.out)) {
            ex.error(429, null, JsonRpcErrors.TOO_MANY_REQUESTS, "This session already has " + openStreams.limit()
                    + " GET streams open (max-streams-per-session); close one first", ProxyOutcome.LIMITED);
            return;
        }
        (stream ? streamClient : podClient).send(pod, ex.req.method(), ex.req, null, record.backendSid(), body,
                sessionReplay.followUpReply(ex, route, record, pod, body));
    }

    // ---------------------------------------------------------------- stateless and delete

    private void forwardStateless(Exchange ex, Route route, Buffer body) {
        PodTarget pod = picker.pickAny(route).orElse(null);
        if (pod == null) {
            ex.noReadyPod(route);
            return;
        }
        podClient.forward(ex, pod, null, body)
                .onSuccess(resp -> ex.stream(resp, null, ProxyOutcome.FORWARDED))
                .onFailure(failure -> {
                    if (failure instanceof BackendUnreachableException) {
                        picker.connectFailed(pod);
                    }
                    ex.backendFailed(failure);
                });
    }

    private void delete(Exchange ex, Route route, String sid) {
        onContext(sessions.find(sid)).onComplete(ar -> {
            if (ar.failed()) {
                ex.storeUnavailable(ar.cause());
                return;
            }
            SessionRecord record = ar.result();
            if (!servesCaller(record, route, ex)) {
                ex.sessionNotFound();
                return;
            }
            PodTarget pod = route.readyPod(record.pod());
            Future<Integer> backend = pod == null ? Future.succeededFuture(200)
                    : podClient.forward(ex, pod, record.backendSid(), null)
                    .compose(resp -> podClient.bodyWithin(resp).map(b -> resp.statusCode()))
                    .otherwise(200);
            backend.compose(status -> onContext(sessions.delete(sid)).map(v -> status)).onComplete(done -> {
                if (done.failed()) {
                    ex.storeUnavailable(done.cause());
                    return;
                }
                int status = done.result() / 100 == 2 ? done.result() : 200;
                ex.out.setStatusCode(status).end();
                ex.done(ProxyOutcome.FORWARDED);
            });
        });
    }

    /**
     * Puts a key into the logging MDC of this request: Quarkus keeps it in the request's duplicated Vert.x context,
     * which ends with the request. Off such a context the MDC is a thread's and would label unrelated lines later,
     * so nothing is put there.
     */
    private static void labelRequest(String key, String value) {
        if (VertxContext.isOnDuplicatedContext()) {
            MDC.put(key, value);
        }
    }

    static <T> Future<T> onContext(Uni<T> uni) {
        Context context = Vertx.currentContext();
        return Future.fromCompletionStage(uni.subscribeAsCompletionStage(), context);
    }

    private record Answer(PodTarget pod, HttpClientResponse response) {
    }

}
