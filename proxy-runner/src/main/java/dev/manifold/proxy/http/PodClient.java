package dev.manifold.proxy.http;

import dev.manifold.contracts.Telemetry;
import dev.manifold.proxy.route.PodTarget;
import io.netty.util.concurrent.FastThreadLocal;
import io.opentelemetry.api.trace.Span;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.RequestOptions;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;

/**
 * Sends requests to pods. One HTTP client per event loop: a request made on an event loop only ever uses
 * connections owned by that loop, so no response or write hops threads (a shared pool hands out connections of
 * other loops, and every event of such an exchange is queued across threads). Callers that are not on an event
 * loop share one more client.
 *
 * <p>Response timeout: a request that has no response head {@code responseTimeout} after it was sent is reset
 * (the caller gets a failure, a stream may then stay quiet for hours). On an event loop this costs no timer per
 * request: every request of a loop has the same timeout, so the loop keeps its waiting requests in sending order
 * (a linked list, unlinked when the head arrives) and one periodic task per loop resets the overdue ones from the
 * front, at most a sweep interval late. Off an event loop the client's own per-request timeout is used.
 */
final class PodClient {

    private static final Logger LOG = Logger.getLogger(PodClient.class);

    private final Vertx vertx;
    private final HttpClientOptions options;
    private final long responseTimeoutMs;
    private final long responseTimeoutNanos;
    private final long sweepMillis;
    private final long poolWaitMs;
    private final FastThreadLocal<Loop> loops = new FastThreadLocal<>();
    private final List<Loop> allLoops = new CopyOnWriteArrayList<>();
    private volatile HttpClient shared;
    private volatile boolean closed;

    PodClient(Vertx vertx, HttpClientOptions options, long responseTimeoutMs, long poolWaitMs) {
        this.vertx = vertx;
        this.poolWaitMs = poolWaitMs;
        this.options = options;
        this.responseTimeoutMs = responseTimeoutMs;
        this.responseTimeoutNanos = responseTimeoutMs * 1_000_000L;
        this.sweepMillis = Math.max(10, Math.min(250, responseTimeoutMs / 10));
    }

    void close() {
        closed = true;
        for (Loop loop : allLoops) {
            vertx.cancelTimer(loop.sweepTimer);
            loop.client.close();
        }
        allLoops.clear();
        HttpClient s = shared;
        if (s != null) {
            s.close();
        }
    }

    /**
     * Sends one request to a pod; {@code reply} gets its response as soon as the head arrives (the body is not
     * read). The headers are the client request's ({@code forwardFrom}, hop-by-hop ones left out, copied once,
     * straight into the outgoing request) or {@code headers}; {@code backendSid}, when set, replaces the session id.
     * A connection that cannot be established fails with {@link BackendUnreachableException}; no free connection
     * within the pool wait, with {@link PodBusyException}. The body buffer is
     * not consumed by sending, so the same one can be sent again (a retry after a replay).
     *
     * <p>A pooled keep-alive connection that the pod closes just as the request goes out (a FIN or RST before any
     * answer: a server closing idle connections, Node's keep-alive timeout) is not a lost pod: the request is sent
     * once more, to the same pod, on another connection. Only when that fails too is the pod treated as lost
     * ({@link BackendUnreachableException}).
     */
    void send(PodTarget pod, HttpMethod method, HttpServerRequest forwardFrom, MultiMap headers, String backendSid,
              Buffer body, Handler<AsyncResult<HttpClientResponse>> reply) {
        Span.current().setAttribute(Telemetry.ATTR_POD, pod.name()); // the request's span names the pod it went to
        new Outbound(pod, method, forwardFrom, headers, backendSid, body, reply).go();
    }

    /** The W3C trace-context headers, which a traced hop replaces with its own. */
    static boolean isTraceContext(String name) {
        return name.equalsIgnoreCase("traceparent") || name.equalsIgnoreCase("tracestate");
    }

    /**
     * A pod response's whole body, read by the proxy-runner itself (replays, 404/400 checks, DELETE): fails when it
     * has not fully arrived within the response timeout, and the request is then reset, freeing its connection. A
     * pod that sends a head and then stalls must not hold a session's replay, or a DELETE, forever.
     */
    Future<Buffer> bodyWithin(HttpClientResponse resp) {
        long timer = vertx.setTimer(responseTimeoutMs, t -> resp.request().reset(0,
                new java.util.concurrent.TimeoutException("the pod's answer did not end within " + responseTimeoutMs + " ms")));
        return resp.body().onComplete(done -> vertx.cancelTimer(timer));
    }

    /** The client's request, method and headers (hop-by-hop removed, the pod's session id set) to a pod. */
    Future<HttpClientResponse> forward(Exchange ex, PodTarget pod, String backendSid, Buffer body) {
        Promise<HttpClientResponse> promise = Promise.promise();
        send(pod, ex.req.method(), ex.req, null, backendSid, body, promise);
        return promise.future();
    }

    /** A request of the proxy-runner's own (replay, clean-up) with exactly these headers. */
    Future<HttpClientResponse> send(PodTarget pod, HttpMethod method, MultiMap headers, Buffer body) {
        Promise<HttpClientResponse> promise = Promise.promise();
        send(pod, method, null, headers, null, body, promise);
        return promise.future();
    }

    /** The connection closed, or was reset, before the response head arrived (a timeout is not this). */
    static boolean closedBeforeAnswer(Throwable failure) {
        return failure instanceof HttpClosedException || failure instanceof IOException;
    }

    /** This event loop's client and waiting requests; null off an event loop. */
    private Loop loop() {
        if (!Context.isOnEventLoopThread()) {
            return null;
        }
        Loop loop = loops.get();
        if (loop == null) {
            Loop created = new Loop(vertx.createHttpClient(options));
            created.sweepTimer = vertx.setPeriodic(sweepMillis, id -> created.sweep()); // runs on this loop
            loop = created;
            loops.set(loop);
            allLoops.add(loop);
        }
        return loop;
    }

    private HttpClient sharedClient() {
        HttpClient s = shared;
        if (s == null) {
            synchronized (this) {
                s = shared;
                if (s == null) {
                    shared = s = vertx.createHttpClient(options);
                }
            }
        }
        return s;
    }

    /** One event loop's client, and its requests still waiting for a response head, oldest first. */
    private final class Loop {
        final HttpClient client;
        long sweepTimer;
        private Outbound head;
        private Outbound tail;

        Loop(HttpClient client) {
            this.client = client;
        }

        void waiting(Outbound o) {
            o.deadline = System.nanoTime() + responseTimeoutNanos;
            o.prev = tail;
            o.next = null;
            if (tail == null) {
                head = o;
            } else {
                tail.next = o;
            }
            tail = o;
            o.linked = true;
        }

        void answered(Outbound o) {
            if (!o.linked) {
                return;
            }
            o.linked = false;
            if (o.prev == null) {
                head = o.next;
            } else {
                o.prev.next = o.next;
            }
            if (o.next == null) {
                tail = o.prev;
            } else {
                o.next.prev = o.prev;
            }
            o.prev = null;
            o.next = null;
        }

        /** Resets the requests whose response head is overdue (all at the front: same timeout, sending order). */
        void sweep() {
            long now = System.nanoTime();
            Outbound o;
            while ((o = head) != null && now - o.deadline >= 0) {
                answered(o);
                HttpClientRequest request = o.request;
                if (request != null) {
                    request.reset(0, new TimeoutException("no response head from " + o.pod.name() + " within "
                            + responseTimeoutMs + " ms"));
                }
            }
        }
    }

    /** One request to a pod (and its one retry): no future chain, no timer. */
    private final class Outbound implements Handler<AsyncResult<HttpClientRequest>> {
        final PodTarget pod;
        final HttpMethod method;
        final HttpServerRequest forwardFrom;
        final MultiMap headers;
        final String backendSid;
        final Buffer body;
        final Handler<AsyncResult<HttpClientResponse>> reply;
        Loop loop;
        boolean retried;
        HttpClientRequest request;
        long deadline;
        boolean linked;
        Outbound prev;
        Outbound next;

        Outbound(PodTarget pod, HttpMethod method, HttpServerRequest forwardFrom, MultiMap headers, String backendSid,
                 Buffer body, Handler<AsyncResult<HttpClientResponse>> reply) {
            this.pod = pod;
            this.method = method;
            this.forwardFrom = forwardFrom;
            this.headers = headers;
            this.backendSid = backendSid;
            this.body = body;
            this.reply = reply;
        }

        void go() {
            if (closed) {
                reply.handle(Future.failedFuture(new IllegalStateException("the proxy-runner is shutting down")));
                return;
            }
            loop = loop();
            RequestOptions options = new RequestOptions()
                    .setMethod(method)
                    .setHost(pod.host())
                    .setPort(pod.port())
                    .setSsl(pod.tls())
                    .setURI(pod.requestUri())
                    .setConnectTimeout(poolWaitMs); // a pooled connection, or a new one, within this time
            if (loop == null) {
                // The client's own timeout: armed until the response head arrives, then cancelled by the client
                // (Vert.x 4.5 HttpClientRequestBase.handleResponse).
                options.setIdleTimeout(responseTimeoutMs);
            }
            (loop == null ? sharedClient() : loop.client).request(options, this);
        }

        /** The request object is ready (a pooled or new connection): headers, then send. */
        @Override
        public void handle(AsyncResult<HttpClientRequest> ar) {
            if (ar.failed()) {
                // A TimeoutException is the pool wait running out (a TCP connect that times out is an IOException,
                // and happens earlier: the pool wait is longer than the connect timeout).
                reply.handle(Future.failedFuture(ar.cause() instanceof TimeoutException
                        ? new PodBusyException(pod.name(), poolWaitMs)
                        : new BackendUnreachableException(pod.name(), ar.cause())));
                return;
            }
            HttpClientRequest req = ar.result();
            MultiMap out = req.headers();
            if (forwardFrom != null) {
                // Traced here: Vert.x adds this hop's own traceparent when it sends, so the caller's is left out
                // (two would reach the pod, and it would read the first). Untraced: passed on as it came.
                boolean traced = Span.current().getSpanContext().isValid();
                for (Map.Entry<String, String> h : forwardFrom.headers()) {
                    String name = h.getKey();
                    if (!HeaderPolicy.isHopByHop(name) && !HeaderPolicy.keptFromPod(name)
                            && !(traced && isTraceContext(name))) {
                        out.add(name, h.getValue());
                    }
                }
                HeaderPolicy.forwardedFor(forwardFrom, out);
            } else {
                out.addAll(headers);
            }
            if (backendSid != null) {
                out.set(SessionRouter.SESSION_HEADER_NAME, backendSid);
            }
            request = req;
            if (loop != null) {
                loop.waiting(this);
            }
            req.response(this::answered);
            if (body == null) {
                req.end((Handler<AsyncResult<Void>>) null);
            } else {
                req.end(body, null);
            }
        }

        private void answered(AsyncResult<HttpClientResponse> ar) {
            if (loop != null) {
                loop.answered(this);
            }
            request = null;
            if (ar.failed() && closedBeforeAnswer(ar.cause())) {
                if (!retried) {
                    retried = true;
                    LOG.debugf("Connection to %s closed before an answer (%s); sending again", pod.name(), ar.cause());
                    go();
                    return;
                }
                reply.handle(Future.failedFuture(new BackendUnreachableException(pod.name(), ar.cause())));
                return;
            }
            reply.handle(ar);
        }
    }

    /**
     * Resets the request of a pod response nobody will read (its client left, or its session could not be stored).
     * The reset fails the response with a StreamResetException: expected here, so it is logged at debug level, not
     * reported by Vert.x as an unhandled ERROR for every client that disconnects.
     */
    static void abandon(HttpClientResponse resp) {
        resp.exceptionHandler(t -> LOG.debugf("Abandoned pod response: %s", t));
        resp.request().reset();
    }
}
