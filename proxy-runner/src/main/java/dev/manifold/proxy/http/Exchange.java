package dev.manifold.proxy.http;

import dev.manifold.runtime.JsonRpcMessage;
import dev.manifold.contracts.JsonRpcErrors;
import dev.manifold.contracts.McpHeaders;
import dev.manifold.proxy.route.Route;
import io.vertx.core.AsyncResult;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import org.jboss.logging.Logger;
import java.util.Map;

/** One client request/response: writes exactly one answer and records exactly one metric. */
final class Exchange implements Handler<Buffer> {
    private static final Logger LOG = Logger.getLogger(Exchange.class);
    private static final String CONTENT_LENGTH = "content-length";
    private static final String RETRY_AFTER_SECONDS = "1";

    private final ProxyMetrics metrics;
    final HttpServerRequest req;
    final HttpServerResponse out;
    final long start;
    String server;
    Object rpcId;
    /** Who sent the request (anonymous unless OAuth mode): a session is served only to the caller that opened it. */
    dev.manifold.runtime.auth.Caller caller = dev.manifold.runtime.auth.Caller.ANONYMOUS;
    /** The request body, kept so an error answer can echo the JSON-RPC id (parsed only on that path). */
    Buffer body;
    boolean recorded;
    /** While streaming: the pod's response, and the bytes of a sized body still to come (-1: not sized). */
    private HttpClientResponse upstream;
    private long remaining;
    private boolean ended;

    Exchange(ProxyMetrics metrics, HttpServerRequest req, long start) {
        this.metrics = metrics;
        this.req = req;
        this.out = req.response();
        this.start = start;
    }

    /** Streams the pod's response to the client as it arrives, with our session id in place of the pod's. */
    void stream(HttpClientResponse resp, String sid, ProxyOutcome outcome) {
        if (out.ended() || out.closed()) {
            PodClient.abandon(resp);
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
            } else if (!HeaderPolicy.isHopByHop(name) && !HeaderPolicy.keptFromClient(name)) {
                outHeaders.add(name, h.getValue());
            }
        }
        if (sid != null && podSession) {
            outHeaders.set(SessionRouter.SESSION_HEADER_NAME, sid);
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
        boolean answerStream = length == null && req.method() == HttpMethod.POST && isEventStream(resp);
        resp.exceptionHandler(t -> {
            if (!ended && !out.closed()) {
                Object id = answerStream ? requestId() : null;
                if (id != null) {
                    cutOff(id, t); // an SSE answer to a request: the client gets an error event for it
                } else {
                    abort(); // the head is out: ending the stream abruptly is the only way to signal the failure
                }
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

    private static boolean isEventStream(HttpClientResponse resp) {
        String type = resp.getHeader(HttpHeaders.CONTENT_TYPE);
        return type != null && type.regionMatches(true, 0, "text/event-stream", 0, 17);
    }

    /**
     * The pod's SSE answer to request {@code id} broke off (the pod died or its connection dropped mid-call): the
     * stream is ended with a JSON-RPC error event for that id, as the broker does, instead of being cut, so the
     * client learns the call failed rather than waiting on a stream that ends without an answer. The event starts
     * with a blank line, which ends an event the pod left half-written. Should the pod have answered already and
     * died just after, the client sees a second answer for the id, which clients ignore.
     */
    private void cutOff(Object id, Throwable cause) {
        ended = true;
        LOG.debugf("Pod stream of %s ended before its answer to %s: %s", server, id, cause);
        metrics.cutStream(server);
        String error = ErrorBody.json(id, JsonRpcErrors.BACKEND_UNAVAILABLE,
                "The MCP server pod closed the stream before answering; the call may or may not have run");
        out.end(Buffer.buffer("\n\nevent: message\ndata: " + error + "\n\n"), null);
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
            if (!HeaderPolicy.isHopByHop(h.getKey()) && !HeaderPolicy.keptFromClient(h.getKey())) {
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
            rpcId = JsonRpcMessage.of(RequestBody.parse(body)).map(m -> JsonRpcMessage.plainId(m.id())).orElse(null);
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
