package dev.manifold.proxy.http;

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
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import jakarta.inject.Singleton;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;
import org.jboss.logging.MDC;
import io.opentelemetry.api.trace.Span;
import io.smallrye.common.vertx.VertxContext;
import dev.manifold.contracts.Telemetry;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Serves {@code /{namespace}/{name}/mcp}: pins each MCP session to one pod, forwards follow-ups to that pod with
 * the pod's own session id, streams responses (SSE included) without buffering, and re-initializes a session on
 * another ready pod when its pod is lost. Owns no state of its own beyond in-flight replays: sessions live in
 * {@link Sessions}, routes in {@link RouteTable}. Never blocks an event loop and never forwards a request to a pod
 * outside the route's ready set.
 */
@Singleton
public class SessionRouter {

    private static final Logger LOG = Logger.getLogger(SessionRouter.class);

    /** The MCP header names, pre-hashed: the lookups on every request hash nothing. */
    static final CharSequence SESSION_HEADER_NAME = HttpHeaders.createOptimized(McpHeaders.SESSION_ID);
    private static final CharSequence PROTOCOL_HEADER_NAME = HttpHeaders.createOptimized(McpHeaders.PROTOCOL_VERSION);
    private static final String CONTENT_LENGTH = "content-length";
    private static final String RETRY_AFTER_SECONDS = "1";

    /** Headers never forwarded in either direction (hop-by-hop, or set by the proxy itself); see isHopByHop. */
    static final String[] HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate",
            "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "host", "content-length",
            "mcp-session-id"};

    private final ProxyConfig config;
    private final RouteTable routes;
    private final Sessions sessions;
    private final PodPicker picker;
    private final SessionIds ids;
    private final ProxyMetrics metrics;
    private final Vertx vertx;
    private final long maxBody;
    private final long responseTimeoutMs;
    private final Map<String, Future<SessionRecord>> replays = new ConcurrentHashMap<>();
    /** The requests to the pods (one HTTP client per event loop). */
    private PodClient podClient;

    public SessionRouter(ProxyConfig config, RouteTable routes, Sessions sessions, PodPicker picker, SessionIds ids,
                         ProxyMetrics metrics, Vertx vertx) {
        this.config = config;
        this.routes = routes;
        this.sessions = sessions;
        this.picker = picker;
        this.ids = ids;
        this.metrics = metrics;
        this.vertx = vertx;
        this.maxBody = config.maxBodySize().asLongValue();
        this.responseTimeoutMs = config.responseTimeout().toMillis();
    }

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
        // Every path passes here first; only /{namespace}/{name}/mcp stays (McpPath, no regex), the rest goes on.
        router.route().handler(ctx -> {
            String serverId = McpPath.serverId(ctx.request().path());
            if (serverId == null) {
                ctx.next();
            } else {
                handle(ctx.request(), serverId);
            }
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
    }

    // ---------------------------------------------------------------- entry

    private void handle(HttpServerRequest req, String serverId) {
        Exchange ex = new Exchange(req, System.nanoTime());
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
            if (bodyTooLarge(ex)) {
                return;
            }
            new BodyReader(ex, route, sid, stateless).start();
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

    /** Answers 400 or 413 from the declared Content-Length alone; false when the body may be read. */
    private boolean bodyTooLarge(Exchange ex) {
        String length = ex.req.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length == null) {
            return false;
        }
        long declared;
        try {
            declared = Long.parseLong(length.trim());
        } catch (NumberFormatException e) {
            declared = -1;
        }
        if (declared < 0) {
            ex.error(400, null, JsonRpcErrors.INVALID_REQUEST, "Invalid Content-Length", ProxyOutcome.BAD_REQUEST);
            return true;
        }
        if (declared > maxBody) {
            ex.tooLarge("Request body of " + declared + " bytes exceeds the limit of " + maxBody + " bytes");
            return true;
        }
        return false;
    }

    /**
     * Reads a POST body up to {@code max-body-size}, then hands it to {@link #post}. A body that arrives in one
     * chunk (the usual case) is used as it is: no aggregate buffer, no copy.
     */
    private final class BodyReader implements Handler<Buffer> {
        private final Exchange ex;
        private final Route route;
        private final String sid;
        private final boolean stateless;
        private Buffer body;
        private boolean aggregated;
        private boolean tooLarge;

        BodyReader(Exchange ex, Route route, String sid, boolean stateless) {
            this.ex = ex;
            this.route = route;
            this.sid = sid;
            this.stateless = stateless;
        }

        void start() {
            HttpServerRequest req = ex.req;
            req.handler(this);
            req.exceptionHandler(t -> LOG.debugf("Client request failed while reading: %s", t));
            req.endHandler(v -> {
                if (!tooLarge) {
                    post(ex, route, sid, stateless, body == null ? Buffer.buffer() : body);
                }
            });
            req.resume();
        }

        @Override
        public void handle(Buffer chunk) {
            if (tooLarge) {
                return;
            }
            int had = body == null ? 0 : body.length();
            if ((long) had + chunk.length() > maxBody) {
                tooLarge = true;
                ex.tooLarge("Request body exceeds the limit of " + maxBody + " bytes");
                return;
            }
            if (body == null) {
                body = chunk; // the server hands each chunk over as its own heap buffer: safe to keep
            } else {
                if (!aggregated) {
                    body = Buffer.buffer(Math.max(256, had * 2)).appendBuffer(body);
                    aggregated = true;
                }
                body.appendBuffer(chunk);
            }
        }
    }

    private void post(Exchange ex, Route route, String sid, boolean stateless, Buffer body) {
        ex.body = body;
        if (sid != null) {
            // Follow-ups are not parsed (the pod validates them): only rule out what cannot be JSON-RPC at all.
            if (!looksLikeJson(body)) {
                ex.error(400, null, JsonRpcErrors.PARSE_ERROR,
                        "Parse error: the body must be a JSON-RPC message (a JSON object or array)", ProxyOutcome.BAD_REQUEST);
                return;
            }
            followUp(ex, route, sid, body);
            return;
        }
        Object message;
        try {
            message = body.length() == 0 ? null : Json.decodeValue(body);
        } catch (DecodeException e) {
            message = null;
        }
        if (!(message instanceof JsonObject) && !(message instanceof JsonArray)) {
            ex.error(400, null, JsonRpcErrors.PARSE_ERROR,
                    "Parse error: the body must be a JSON-RPC message (a JSON object or array)", ProxyOutcome.BAD_REQUEST);
            return;
        }
        ex.rpcId = message instanceof JsonObject o ? o.getValue("id") : null;
        if (!stateless && message instanceof JsonObject o && "initialize".equals(o.getString("method"))) {
            initialize(ex, route, body, o);
        } else {
            // No session: the stateless protocol, or a backend that does not use sessions.
            forwardStateless(ex, route, body);
        }
    }

    // ---------------------------------------------------------------- initialize

    private void initialize(Exchange ex, Route route, Buffer body, JsonObject message) {
        PodTarget pod = picker.pick(route, null).orElse(null);
        if (pod == null) {
            ex.noReadyPod(route);
            return;
        }
        picker.reserve(route, pod);
        forward(ex, pod, null, body)
                .map(resp -> new Answer(pod, resp))
                .recover(failure -> {
                    if (failure instanceof BackendUnreachableException) {
                        picker.connectFailed(pod);
                        PodTarget other = picker.pick(route, pod.name()).orElse(null);
                        if (other != null && !other.name().equals(pod.name())) {
                            return forward(ex, other, null, body).map(resp -> new Answer(other, resp));
                        }
                    }
                    return Future.failedFuture(failure);
                })
                .onComplete(ar -> picker.released(route, pod))
                .onSuccess(answer -> afterInitialize(ex, route, message, body, answer))
                .onFailure(failure -> {
                    if (failure instanceof BackendUnreachableException) {
                        ex.noReadyPod(route); // every pod tried refused: none is actually ready
                    } else {
                        ex.backendFailed(failure);
                    }
                });
    }

    private void afterInitialize(Exchange ex, Route route, JsonObject message, Buffer body, Answer answer) {
        HttpClientResponse resp = answer.response;
        String backendSid = resp.getHeader(SESSION_HEADER_NAME);
        if (resp.statusCode() / 100 != 2 || backendSid == null) {
            // Refused, or a backend without sessions: pass through untouched, nothing to pin.
            ex.stream(resp, null, ProxyOutcome.FORWARDED);
            return;
        }
        resp.pause();
        JsonObject params = message.getJsonObject("params");
        String protocol = params == null ? null : params.getString("protocolVersion");
        SessionRecord record = new SessionRecord(ids.mint(), route.serverId(), answer.pod.name(),
                answer.pod.url().toString(), backendSid, body.toString(StandardCharsets.UTF_8), protocol,
                SessionRecord.ANONYMOUS, System.currentTimeMillis());
        labelRequest(Telemetry.MDC_SESSION_ID, record.sid());
        onContext(sessions.create(record)).onComplete(ar -> {
            if (ar.succeeded() && ar.result()) {
                ex.stream(resp, record.sid(), ProxyOutcome.FORWARDED);
                return;
            }
            abandon(resp);
            closeBackendSession(answer.pod, backendSid, ex.req.getHeader(PROTOCOL_HEADER_NAME));
            ex.storeUnavailable(ar.failed() ? ar.cause() : new StoreUnavailableException("session id collision"));
        });
    }

    /**
     * Resets the request of a pod response nobody will read (its client left, or its session could not be stored).
     * The reset fails the response with a StreamResetException: expected here, so it is logged at debug level, not
     * reported by Vert.x as an unhandled ERROR for every client that disconnects.
     */
    private static void abandon(HttpClientResponse resp) {
        resp.exceptionHandler(t -> LOG.debugf("Abandoned pod response: %s", t));
        resp.request().reset();
    }

    // ---------------------------------------------------------------- follow-ups

    private static boolean looksLikeJson(Buffer body) {
        for (int i = 0; i < body.length(); i++) {
            byte b = body.getByte(i);
            if (b == '{' || b == '[') {
                return true;
            }
            if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
                return false;
            }
        }
        return false;
    }

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

    private void followUp(Exchange ex, Route route, SessionRecord record, Buffer body) {
        if (record == null || !record.serverId().equals(route.serverId())) {
            ex.sessionNotFound();
            return;
        }
        PodTarget pod = route.readyPod(record.pod());
        if (pod == null) {
            replayThenRetry(ex, route, record, body, ReinitReason.POD_GONE);
            return;
        }
        send(pod, ex.req.method(), ex.req, null, record.backendSid(), body, new FollowUpReply(ex, route, record, pod, body));
    }

    /** What happens with the pinned pod's answer to a follow-up (one object per request, no future chain). */
    private final class FollowUpReply implements Handler<AsyncResult<HttpClientResponse>> {
        private final Exchange ex;
        private final Route route;
        private final SessionRecord record;
        private final PodTarget pod;
        private final Buffer body;

        FollowUpReply(Exchange ex, Route route, SessionRecord record, PodTarget pod, Buffer body) {
            this.ex = ex;
            this.route = route;
            this.record = record;
            this.pod = pod;
            this.body = body;
        }

        @Override
        public void handle(AsyncResult<HttpClientResponse> ar) {
            if (ar.failed()) {
                if (ar.cause() instanceof BackendUnreachableException) {
                    picker.connectFailed(pod);
                    replayThenRetry(ex, route, record, body, ReinitReason.CONNECT_FAILED);
                } else {
                    ex.backendFailed(ar.cause());
                }
                return;
            }
            HttpClientResponse resp = ar.result();
            int status = resp.statusCode();
            if (status == 404) {
                bodyWithin(resp).onComplete(ignored -> replayThenRetry(ex, route, record, body, ReinitReason.SESSION_NOT_FOUND));
            } else if (status == 400) {
                // Some servers (server-everything, the SDK examples) answer 400 instead of 404 for a session they
                // do not know; their error names the session. Anything else passes through.
                bodyWithin(resp).onComplete(read -> {
                    if (read.succeeded() && mentionsUnknownSession(read.result())) {
                        replayThenRetry(ex, route, record, body, ReinitReason.SESSION_NOT_FOUND);
                    } else {
                        ex.buffered(resp, read.succeeded() ? read.result() : Buffer.buffer());
                    }
                });
            } else {
                ex.stream(resp, record.sid(), ProxyOutcome.FORWARDED);
            }
        }
    }

    private void replayThenRetry(Exchange ex, Route route, SessionRecord stale, Buffer body, ReinitReason reason) {
        replay(route, stale, reason, ex.req.getHeader(PROTOCOL_HEADER_NAME)).onComplete(ar -> {
            if (ar.failed()) {
                if (ar.cause() instanceof NoReadyPodException) {
                    ex.noReadyPod(route);
                } else if (ar.cause() instanceof StoreUnavailableException) {
                    ex.storeUnavailable(ar.cause());
                } else {
                    LOG.debugf("Re-initializing session on %s failed: %s", route.serverId(), ar.cause());
                    ex.sessionNotFound();
                }
                return;
            }
            SessionRecord record = ar.result();
            PodTarget pod = route.readyPod(record.pod());
            if (pod == null) {
                ex.sessionNotFound();
                return;
            }
            forward(ex, pod, record.backendSid(), body)
                    .onSuccess(resp -> ex.stream(resp, record.sid(), ProxyOutcome.REINITIALIZED))
                    .onFailure(ex::backendFailed);
        });
    }

    /**
     * Re-creates the session on a ready pod: replays the stored initialize and {@code notifications/initialized},
     * then re-pins the record (SET XX, so a deleted session stays deleted). Concurrent requests of one session
     * share one replay.
     */
    private Future<SessionRecord> replay(Route route, SessionRecord stale, ReinitReason reason, String protocolHeader) {
        Promise<SessionRecord> promise = Promise.promise();
        Future<SessionRecord> existing = replays.putIfAbsent(stale.sid(), promise.future());
        if (existing != null) {
            return existing;
        }
        promise.future().onComplete(ar -> replays.remove(stale.sid(), promise.future()));
        onContext(sessions.reread(stale.sid())).compose(current -> {
            if (current == null) {
                return Future.failedFuture(new IllegalStateException("session was deleted"));
            }
            if (!current.backendSid().equals(stale.backendSid()) && route.readyPod(current.pod()) != null) {
                return Future.succeededFuture(current); // another replica already re-pinned it
            }
            PodTarget pod = picker.pick(route, current.pod()).orElse(null);
            if (pod == null) {
                return Future.failedFuture(new NoReadyPodException());
            }
            picker.reserve(route, pod);
            String protocol = protocolHeader != null ? protocolHeader : current.protocolVersion();
            return reinitializeOn(pod, current, protocol)
                    .compose(newSid -> {
                        SessionRecord repinned = current.repinned(pod.name(), pod.url().toString(), newSid);
                        return onContext(sessions.repin(repinned)).transform(stored -> {
                            if (stored.succeeded() && stored.result()) {
                                return Future.succeededFuture(repinned);
                            }
                            // Not pinned (deleted meanwhile, or the store failed): the pod's new session would be
                            // an orphan nobody uses; close it there.
                            closeBackendSession(pod, newSid, protocol);
                            return Future.failedFuture(stored.failed() ? stored.cause()
                                    : new IllegalStateException("session was deleted during replay"));
                        });
                    })
                    .onComplete(ar -> picker.released(route, pod))
                    .onSuccess(r -> metrics.reinitialized(route.serverId(), reason));
        }, failure -> Future.failedFuture(failure)).onComplete(promise);
        return promise.future();
    }

    private Future<String> reinitializeOn(PodTarget pod, SessionRecord record, String protocol) {
        MultiMap headers = MultiMap.caseInsensitiveMultiMap()
                .add(HttpHeaders.CONTENT_TYPE, "application/json")
                .add(HttpHeaders.ACCEPT, "application/json, text/event-stream");
        return send(pod, HttpMethod.POST, headers, Buffer.buffer(record.initialize())).compose(resp -> {
            String newSid = resp.getHeader(SESSION_HEADER_NAME);
            return bodyWithin(resp).compose(ignored -> {
                if (resp.statusCode() / 100 != 2 || newSid == null) {
                    return Future.failedFuture(new IllegalStateException(
                            "replayed initialize answered " + resp.statusCode() + " on " + pod.name()));
                }
                MultiMap notify = MultiMap.caseInsensitiveMultiMap().addAll(headers).add(McpHeaders.SESSION_ID, newSid);
                if (protocol != null) {
                    notify.add(McpHeaders.PROTOCOL_VERSION, protocol);
                }
                return send(pod, HttpMethod.POST, notify,
                        Buffer.buffer("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}"))
                        .compose(r -> bodyWithin(r).compose(b -> r.statusCode() / 100 == 2 ? Future.succeededFuture(newSid)
                                : Future.failedFuture(new IllegalStateException(
                                "notifications/initialized answered " + r.statusCode()))))
                        .onFailure(f -> closeBackendSession(pod, newSid, protocol)); // half-open: not used, closed
            });
        });
    }

    // ---------------------------------------------------------------- stateless and delete

    private void forwardStateless(Exchange ex, Route route, Buffer body) {
        PodTarget pod = picker.pickAny(route).orElse(null);
        if (pod == null) {
            ex.noReadyPod(route);
            return;
        }
        forward(ex, pod, null, body)
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
            if (record == null || !record.serverId().equals(route.serverId())) {
                ex.sessionNotFound();
                return;
            }
            PodTarget pod = route.readyPod(record.pod());
            Future<Integer> backend = pod == null ? Future.succeededFuture(200)
                    : forward(ex, pod, record.backendSid(), null)
                    .compose(resp -> bodyWithin(resp).map(b -> resp.statusCode()))
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

    private void closeBackendSession(PodTarget pod, String backendSid, String protocol) {
        MultiMap headers = MultiMap.caseInsensitiveMultiMap().add(McpHeaders.SESSION_ID, backendSid);
        if (protocol != null) {
            headers.add(McpHeaders.PROTOCOL_VERSION, protocol);
        }
        send(pod, HttpMethod.DELETE, headers, null).onSuccess(this::bodyWithin);
    }

    // ---------------------------------------------------------------- transport

    /**
     * A pod response's whole body, read by the proxy-runner itself (replays, 404/400 checks, DELETE): fails when it
     * has not fully arrived within the response timeout, and the request is then reset, freeing its connection. A
     * pod that sends a head and then stalls must not hold a session's replay, or a DELETE, forever.
     */
    private Future<Buffer> bodyWithin(HttpClientResponse resp) {
        long timer = vertx.setTimer(responseTimeoutMs, t -> resp.request().reset(0,
                new java.util.concurrent.TimeoutException("the pod's answer did not end within " + responseTimeoutMs + " ms")));
        return resp.body().onComplete(done -> vertx.cancelTimer(timer));
    }

    /** The client's request, method and headers (hop-by-hop removed, the pod's session id set) to a pod. */
    private Future<HttpClientResponse> forward(Exchange ex, PodTarget pod, String backendSid, Buffer body) {
        Promise<HttpClientResponse> promise = Promise.promise();
        send(pod, ex.req.method(), ex.req, null, backendSid, body, promise);
        return promise.future();
    }

    /** A request of the proxy-runner's own (replay, clean-up) with exactly these headers. */
    private Future<HttpClientResponse> send(PodTarget pod, HttpMethod method, MultiMap headers, Buffer body) {
        Promise<HttpClientResponse> promise = Promise.promise();
        send(pod, method, null, headers, null, body, promise);
        return promise.future();
    }

    private void send(PodTarget pod, HttpMethod method, HttpServerRequest forwardFrom, MultiMap headers,
                      String backendSid, Buffer body, Handler<AsyncResult<HttpClientResponse>> reply) {
        Span.current().setAttribute(Telemetry.ATTR_POD, pod.name());
        podClient.send(pod, method, forwardFrom, headers, backendSid, body, reply);
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

    /**
     * Whether a header is hop-by-hop (or one the proxy sets itself): one of {@link #HOP_BY_HOP}, any case. Runs for
     * every header in both directions, so it dispatches on the length and compares at most two names.
     */
    static boolean isHopByHop(String name) {
        return switch (name.length()) {
            case 2 -> name.equalsIgnoreCase("te");
            case 4 -> name.equalsIgnoreCase("host");
            case 7 -> name.equalsIgnoreCase("trailer") || name.equalsIgnoreCase("upgrade");
            case 10 -> name.equalsIgnoreCase("connection") || name.equalsIgnoreCase("keep-alive");
            case 14 -> name.equalsIgnoreCase("content-length") || name.equalsIgnoreCase("mcp-session-id");
            case 17 -> name.equalsIgnoreCase("transfer-encoding");
            case 18 -> name.equalsIgnoreCase("proxy-authenticate");
            case 19 -> name.equalsIgnoreCase("proxy-authorization");
            default -> false;
        };
    }

    private static boolean mentionsUnknownSession(Buffer body) {
        if (body.length() > 65536) {
            return false;
        }
        String text = body.toString(StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
        return text.contains("session") && (text.contains("no valid session") || text.contains("not found")
                || text.contains("unknown session") || text.contains("invalid session"));
    }

    private static <T> Future<T> onContext(Uni<T> uni) {
        Context context = Vertx.currentContext();
        return Future.fromCompletionStage(uni.subscribeAsCompletionStage(), context);
    }

    private record Answer(PodTarget pod, HttpClientResponse response) {
    }

    private static final class NoReadyPodException extends RuntimeException {
        NoReadyPodException() {
            super("no ready pod", null, false, false);
        }
    }

    // ---------------------------------------------------------------- one client exchange

    /** One client request/response: writes exactly one answer and records exactly one metric. */
    private final class Exchange implements Handler<Buffer> {
        final HttpServerRequest req;
        final HttpServerResponse out;
        final long start;
        String server;
        Object rpcId;
        /** The request body, kept so an error answer can echo the JSON-RPC id (parsed only on that path). */
        Buffer body;
        boolean recorded;
        /** While streaming: the pod's response, and the bytes of a sized body still to come (-1: not sized). */
        private HttpClientResponse upstream;
        private long remaining;
        private boolean ended;

        Exchange(HttpServerRequest req, long start) {
            this.req = req;
            this.out = req.response();
            this.start = start;
        }

        /** Streams the pod's response to the client as it arrives, with our session id in place of the pod's. */
        void stream(HttpClientResponse resp, String sid, ProxyOutcome outcome) {
            if (out.ended() || out.closed()) {
                abandon(resp);
                return;
            }
            int status = resp.statusCode();
            if (status != 200) {
                out.setStatusCode(status); // 200 is the default: nothing to look up
            }
            MultiMap outHeaders = out.headers();
            String length = null;
            boolean podSession = false;
            for (Map.Entry<String, String> h : resp.headers()) {
                String name = h.getKey();
                if (name.length() == CONTENT_LENGTH.length() && name.equalsIgnoreCase(CONTENT_LENGTH)) {
                    length = h.getValue();
                } else if (name.length() == McpHeaders.SESSION_ID.length() && name.equalsIgnoreCase(McpHeaders.SESSION_ID)) {
                    podSession = true;
                } else if (!isHopByHop(name)) {
                    outHeaders.add(name, h.getValue());
                }
            }
            if (sid != null && podSession) {
                outHeaders.set(SESSION_HEADER_NAME, sid);
            }
            remaining = -1;
            if (length != null) {
                outHeaders.set(HttpHeaders.CONTENT_LENGTH, length);
                try {
                    remaining = Long.parseLong(length.trim());
                } catch (NumberFormatException e) {
                    remaining = -1; // the client's decoder would have refused it already
                }
            } else {
                out.setChunked(true);
            }
            upstream = resp;
            out.closeHandler(v -> resp.request().reset());
            done(outcome);
            if (length == null) {
                // A stream (SSE or chunked): send the head now, the first event may not come for a long time.
                // A sized body goes out with its head, and its last chunk with the end: one write for a small body.
                out.writeHead();
            }
            resp.handler(this);
            resp.exceptionHandler(t -> {
                if (!ended && !out.closed()) {
                    abort(); // the head is out: ending the stream abruptly is the only way to signal the failure
                }
            });
            resp.endHandler(v -> {
                if (!ended && !out.closed()) {
                    ended = true;
                    out.end((Handler<AsyncResult<Void>>) null);
                }
            });
            resp.resume();
        }

        /** One chunk of the pod's response: written as it is, with backpressure, no future per chunk. */
        @Override
        public void handle(Buffer chunk) {
            if (ended) {
                return;
            }
            if (out.closed()) {
                upstream.request().reset();
                return;
            }
            if (remaining >= 0) {
                remaining -= chunk.length();
                if (remaining == 0) {
                    ended = true; // the last bytes of a sized body: with the end, in one write
                    out.end(chunk, null);
                    return;
                }
            }
            out.write(chunk, null);
            if (out.writeQueueFull()) {
                upstream.pause();
                out.drainHandler(v -> upstream.resume());
            }
        }

        /** Sends a pod response whose body was already read. */
        void buffered(HttpClientResponse resp, Buffer body) {
            if (out.ended() || out.closed()) {
                return;
            }
            out.setStatusCode(resp.statusCode());
            for (Map.Entry<String, String> h : resp.headers()) {
                if (!isHopByHop(h.getKey())) {
                    out.headers().add(h.getKey(), h.getValue());
                }
            }
            done(ProxyOutcome.FORWARDED);
            out.end(body);
        }

        void error(int status, Object id, int code, String message, ProxyOutcome outcome) {
            if (!out.ended() && !out.closed() && !out.headWritten()) {
                out.setStatusCode(status)
                        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                        .end(ErrorBody.json(id != null ? id : requestId(), code, message));
            }
            done(outcome);
        }

        /**
         * 413, then the rest of the body is never read: over HTTP/1.1 the connection is closed, over HTTP/2 only
         * this stream is reset (the connection may carry other clients' streams; Connection is not an HTTP/2 header).
         */
        void tooLarge(String message) {
            if (!out.ended() && !out.closed() && !out.headWritten()) {
                boolean http2 = req.version() == HttpVersion.HTTP_2;
                out.setStatusCode(413).putHeader(HttpHeaders.CONTENT_TYPE, "application/json");
                if (!http2) {
                    out.putHeader(HttpHeaders.CONNECTION, "close");
                }
                out.end(ErrorBody.json(null, JsonRpcErrors.INVALID_REQUEST, message))
                        .onComplete(v -> abort());
            }
            done(ProxyOutcome.BAD_REQUEST);
        }

        /** Ends this exchange abruptly: resets the stream over HTTP/2, closes the connection over HTTP/1.x. */
        private void abort() {
            if (req.version() == HttpVersion.HTTP_2) {
                out.reset();
            } else {
                req.connection().close();
            }
        }

        private Object requestId() {
            if (rpcId == null && body != null && body.length() > 0) {
                try {
                    Object message = Json.decodeValue(body);
                    rpcId = message instanceof JsonObject o ? o.getValue("id") : null;
                } catch (DecodeException e) {
                    return null;
                }
            }
            return rpcId;
        }

        void sessionNotFound() {
            error(404, null, JsonRpcErrors.SESSION_NOT_FOUND, "Session not found", ProxyOutcome.SESSION_NOT_FOUND);
        }

        void noReadyPod(Route route) {
            out.putHeader(HttpHeaders.RETRY_AFTER, RETRY_AFTER_SECONDS);
            error(503, null, JsonRpcErrors.SERVER_ERROR, "No ready pod for " + route.serverId(),
                    ProxyOutcome.NO_READY_POD);
        }

        void storeUnavailable(Throwable cause) {
            LOG.debugf("Session store unavailable: %s", cause);
            out.putHeader(HttpHeaders.RETRY_AFTER, RETRY_AFTER_SECONDS);
            error(503, null, JsonRpcErrors.SERVER_ERROR, "Session store unavailable, retry shortly",
                    ProxyOutcome.STORE_UNAVAILABLE);
        }

        void backendFailed(Throwable cause) {
            if (cause instanceof PodBusyException) {
                LOG.debugf("Pod busy for %s: %s", server, cause.getMessage());
                out.putHeader(HttpHeaders.RETRY_AFTER, RETRY_AFTER_SECONDS);
                error(503, null, JsonRpcErrors.SERVER_ERROR, "The MCP server pod is busy: every connection to it is in use",
                        ProxyOutcome.POD_BUSY);
                return;
            }
            LOG.debugf("Backend failed for %s: %s", server, cause);
            error(502, null, JsonRpcErrors.SERVER_ERROR, "The MCP server pod could not be reached",
                    ProxyOutcome.BACKEND_UNREACHABLE);
        }

        void done(ProxyOutcome outcome) {
            if (!recorded) {
                recorded = true;
                metrics.request(server, outcome, start);
            }
        }
    }
}
