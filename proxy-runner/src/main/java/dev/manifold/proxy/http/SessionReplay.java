package dev.manifold.proxy.http;

import dev.manifold.proxy.session.StoreUnavailableException;
import io.vertx.core.AsyncResult;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpClientResponse;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import dev.manifold.contracts.McpHeaders;
import dev.manifold.contracts.SessionRecord;
import dev.manifold.proxy.http.ProxyMetrics.ReinitReason;
import dev.manifold.proxy.route.PodPicker;
import dev.manifold.proxy.route.PodTarget;
import dev.manifold.proxy.route.Route;
import dev.manifold.proxy.session.Sessions;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import org.jboss.logging.Logger;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Moves a session whose pod is gone (or forgot it) to a ready pod: replays the stored {@code initialize} and
 * {@code notifications/initialized} there and re-pins the record (SET XX, so a deleted session stays deleted).
 * Concurrent requests of one session share one replay; the client keeps its session id.
 */
final class SessionReplay {
    private static final Logger LOG = Logger.getLogger(SessionReplay.class);

    private final PodClient podClient;
    private final Sessions sessions;
    private final PodPicker picker;
    private final ProxyMetrics metrics;
    private final Map<String, Future<SessionRecord>> replays = new ConcurrentHashMap<>();

    SessionReplay(PodClient podClient, Sessions sessions, PodPicker picker, ProxyMetrics metrics) {
        this.podClient = podClient;
        this.sessions = sessions;
        this.picker = picker;
        this.metrics = metrics;
    }

    /** What to do with the pinned pod's answer to a follow-up: pass it on, or move the session and retry. */
    Handler<AsyncResult<HttpClientResponse>> followUpReply(Exchange ex, Route route, SessionRecord record, PodTarget pod,
                                                         Buffer body) {
        return new FollowUpReply(ex, route, record, pod, body);
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
                podClient.bodyWithin(resp).onComplete(ignored -> replayThenRetry(ex, route, record, body, ReinitReason.SESSION_NOT_FOUND));
            } else if (status == 400) {
                // Some servers (server-everything, the SDK examples) answer 400 instead of 404 for a session they
                // do not know; their error names the session. Anything else passes through.
                podClient.bodyWithin(resp).onComplete(read -> {
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

    void replayThenRetry(Exchange ex, Route route, SessionRecord stale, Buffer body, ReinitReason reason) {
        replay(route, stale, reason, ex.req.getHeader(SessionRouter.PROTOCOL_HEADER_NAME)).onComplete(ar -> {
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
            podClient.forward(ex, pod, record.backendSid(), body)
                    .onSuccess(resp -> ex.stream(resp, record.sid(), ProxyOutcome.REINITIALIZED))
                    .onFailure(ex::backendFailed);
        });
    }

    private static boolean mentionsUnknownSession(Buffer body) {
        if (body.length() > 65536) {
            return false;
        }
        String text = body.toString(StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
        return text.contains("session") && (text.contains("no valid session") || text.contains("not found")
                || text.contains("unknown session") || text.contains("invalid session"));
    }

    /**
     * Re-creates the session on a ready pod: replays the stored initialize and {@code notifications/initialized},
     * then re-pins the record (SET XX, so a deleted session stays deleted). Concurrent requests of one session
     * share one replay.
     */
    Future<SessionRecord> replay(Route route, SessionRecord stale, ReinitReason reason, String protocolHeader) {
        Promise<SessionRecord> promise = Promise.promise();
        Future<SessionRecord> existing = replays.putIfAbsent(stale.sid(), promise.future());
        if (existing != null) {
            return existing;
        }
        promise.future().onComplete(ar -> replays.remove(stale.sid(), promise.future()));
        SessionRouter.onContext(sessions.reread(stale.sid())).compose(current -> {
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
                        return SessionRouter.onContext(sessions.repin(repinned)).transform(stored -> {
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
        return podClient.send(pod, HttpMethod.POST, headers, Buffer.buffer(record.initialize())).compose(resp -> {
            String newSid = resp.getHeader(SessionRouter.SESSION_HEADER_NAME);
            return podClient.bodyWithin(resp).compose(ignored -> {
                if (resp.statusCode() / 100 != 2 || newSid == null) {
                    return Future.failedFuture(new IllegalStateException(
                            "replayed initialize answered " + resp.statusCode() + " on " + pod.name()));
                }
                MultiMap notify = MultiMap.caseInsensitiveMultiMap().addAll(headers).add(McpHeaders.SESSION_ID, newSid);
                if (protocol != null) {
                    notify.add(McpHeaders.PROTOCOL_VERSION, protocol);
                }
                return podClient.send(pod, HttpMethod.POST, notify,
                        Buffer.buffer("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}"))
                        .compose(r -> podClient.bodyWithin(r).compose(b -> r.statusCode() / 100 == 2 ? Future.succeededFuture(newSid)
                                : Future.failedFuture(new IllegalStateException(
                                "notifications/initialized answered " + r.statusCode()))))
                        .onFailure(f -> closeBackendSession(pod, newSid, protocol)); // half-open: not used, closed
            });
        });
    }

    void closeBackendSession(PodTarget pod, String backendSid, String protocol) {
        MultiMap headers = MultiMap.caseInsensitiveMultiMap().add(McpHeaders.SESSION_ID, backendSid);
        if (protocol != null) {
            headers.add(McpHeaders.PROTOCOL_VERSION, protocol);
        }
        podClient.send(pod, HttpMethod.DELETE, headers, null).onSuccess(podClient::bodyWithin);
    }

    static final class NoReadyPodException extends RuntimeException {
        NoReadyPodException() {
            super("no ready pod", null, false, false);
        }
    }
}
