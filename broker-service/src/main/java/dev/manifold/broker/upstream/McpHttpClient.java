package dev.manifold.broker.upstream;

import dev.manifold.runtime.JsonRpcMessage;
import dev.manifold.runtime.SseParser;
import dev.manifold.contracts.McpVersions;
import dev.manifold.contracts.McpHeaders;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.manifold.broker.credentials.BackendCredentials;
import dev.manifold.broker.credentials.ClientToken;
import dev.manifold.broker.settings.BrokerConfig;
import io.smallrye.mutiny.Uni;
import org.jboss.logging.Logger;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.tracing.TracingPolicy;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.ByteArrayOutputStream;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Speaks MCP Streamable HTTP to backends: one JSON-RPC message per POST, answered with JSON or an SSE stream.
 * Two HTTP clients: a pooled one for forwarded client traffic, and one that opens a fresh connection per
 * exchange for connects and health probes, so a probe never rides a pooled connection to a replaced pod.
 * Never blocks: everything returns a {@link Uni}; cancelling it resets the HTTP request.
 */
@ApplicationScoped
public class McpHttpClient {
    private static final Logger LOG = Logger.getLogger(McpHttpClient.class);

    /** Largest backend response body accepted. */
    static final int MAX_RESPONSE_BYTES = 32 * 1024 * 1024;


    /** Receives what a backend sends on an SSE response besides the response itself. */
    public interface ReplyStream {
        /** The backend answered with an event stream (called once, before any message). */
        default void opened() {
        }

        /** A notification or server-to-client request on the stream. */
        void message(JsonNode message);
    }

    /** Times a POST stream that ended without its response is resumed with GET and Last-Event-ID. */
    static final int MAX_RESUMES = 5;

    private final Vertx vertx;
    private final ObjectMapper mapper;
    private final HttpClient pooled;
    private final HttpClient fresh;
    /** Long-lived GET streams get their own client, so they never take the probes' and connects' pool slots. */
    private final HttpClient streams;

    private final HopTracing tracing;
    private final EventLoops eventLoops;
    private final StreamedAnswers streamedAnswers;
    private final BackendCredentials credentials;

    public McpHttpClient(Vertx vertx, ObjectMapper mapper, BrokerConfig config, HopTracing tracing,
                         BackendCredentials credentials) {
        this.vertx = vertx;
        this.mapper = mapper;
        this.tracing = tracing;
        this.eventLoops = new EventLoops(vertx);
        this.credentials = credentials;
        int connectMillis = (int) Math.max(1, config.connectTimeout().toMillis());
        this.pooled = vertx.createHttpClient(new HttpClientOptions()
                        .setKeepAlive(true)
                        .setConnectTimeout(connectMillis)
                        .setDecompressionSupported(true)
                        .setTracingPolicy(TracingPolicy.IGNORE),
                new PoolOptions().setHttp1MaxSize(config.backendPoolSize()));
        this.fresh = vertx.createHttpClient(new HttpClientOptions()
                        .setKeepAlive(false)
                        .setConnectTimeout(connectMillis)
                        .setTracingPolicy(TracingPolicy.IGNORE),
                new PoolOptions().setHttp1MaxSize(config.backendPoolSize()));
        this.streams = vertx.createHttpClient(new HttpClientOptions()
                        .setKeepAlive(false)
                        .setConnectTimeout(connectMillis)
                        .setTracingPolicy(TracingPolicy.IGNORE),
                new PoolOptions().setHttp1MaxSize(4096));
        this.deleteTimeoutMillis = connectMillis;
        this.streamedAnswers = new StreamedAnswers(vertx, streams, this::parseOrNull, credentials::authorizeResume);
    }

    private final long deleteTimeoutMillis;

    @PreDestroy
    void close() {
        pooled.close();
        fresh.close();
        streams.close();
    }

    /**
     * Posts one JSON-RPC message.
     *
     * @param freshConnection open a new connection just for this exchange (connects and probes)
     * @param onOther         receives messages on the SSE stream other than the response (notifications and
     *                        server-to-client requests); may be {@code null}
     */
    public Uni<McpReply> post(String url, String sessionId, String protocolVersion, JsonNode message,
                              boolean freshConnection, ReplyStream onOther) {
        return post(url, sessionId, protocolVersion, message, freshConnection, onOther, null);
    }

    /**
     * Posts one JSON-RPC message on a client's behalf: {@code client} is the client's token, which a server with
     * {@code authPassthrough} or {@code tokenExchange} gets (as it is, or exchanged) instead of the broker's own
     * credential in {@code Authorization}; {@code null} for the broker's own traffic.
     */
    public Uni<McpReply> post(String url, String sessionId, String protocolVersion, JsonNode message,
                              boolean freshConnection, ReplyStream onOther, ClientToken client) {
        JsonRpcMessage rpc = JsonRpcMessage.of(message).orElse(null);
        if (McpVersions.STATELESS.equals(protocolVersion) && rpc instanceof JsonRpcMessage.Request) {
            message = JsonRpc.withStatelessMeta(message);
        }
        byte[] body;
        try {
            body = mapper.writeValueAsBytes(message);
        } catch (Exception e) {
            return Uni.createFrom().failure(new IllegalArgumentException("cannot serialize message", e));
        }
        RequestOptions options = new RequestOptions()
                .setMethod(HttpMethod.POST)
                .setAbsoluteURI(url)
                .putHeader("Content-Type", "application/json")
                .putHeader("Accept", "application/json, text/event-stream");
        if (sessionId != null) {
            options.putHeader(McpHeaders.SESSION_ID, sessionId);
        }
        if (protocolVersion != null) {
            options.putHeader(McpHeaders.PROTOCOL_VERSION, protocolVersion);
        }
        JsonNode sent = message;
        return authorized(url, client, options,
                () -> send(url, sessionId, protocolVersion, sent, rpc, body, options, freshConnection, onOther));
    }

    /**
     * Puts the credentials of a request to {@code url} in {@code options} (the broker's own, or on a client's behalf
     * what the client's token gives), then runs {@code send}; without running it, fails as not contacted when a
     * credential cannot be read or a client token cannot be used.
     */
    private <T> Uni<T> authorized(String url, ClientToken client, RequestOptions options,
                                  java.util.function.Supplier<Uni<T>> send) {
        String unreadable = credentials.authorize(url, options::putHeader);
        if (unreadable != null) {
            return notContacted(url, unreadable);
        }
        if (!credentials.actsForClient(url, client)) {
            return send.get();
        }
        return credentials.authorizeForClient(url, client, options)
                .chain(problem -> problem != null ? notContacted(url, problem) : send.get());
    }

    private Uni<McpReply> send(String url, String sessionId, String protocolVersion, JsonNode message, JsonRpcMessage rpc,
                               byte[] body, RequestOptions options, boolean freshConnection, ReplyStream onOther) {
        JsonNode requestId = message.get("id");
        if (McpVersions.STATELESS.equals(protocolVersion) && rpc != null && rpc.method() != null) {
            // 2026-07-28: the method and the addressed name are mirrored in headers for intermediaries
            String method = rpc.method();
            options.putHeader(McpHeaders.METHOD, method);
            String name = McpVersions.nameOf(method, message.get("params"));
            if (name != null) {
                options.putHeader(McpHeaders.NAME, name);
            }
        }
        HopTracing.Hop hop = tracing.start(url, message, options);
        Uni<McpReply> exchange;
        if (freshConnection) {
            exchange = exchange(fresh, false, options, body, url, sessionId, protocolVersion, requestId, onOther);
        } else {
            // A pooled keep-alive connection closed by the other side just as this request went out (a FIN or a
            // RST before any answer: a proxy-runner replica that died, a server's idle timeout) is not a lost
            // backend: the request is sent once more, on a new connection. Only that attempt's failure counts.
            exchange = exchange(pooled, true, options, body, url, sessionId, protocolVersion, requestId, onOther)
                    .onFailure(ClosedBeforeAnswer.class).recoverWithUni(closed -> {
                        LOG.debugf("Pooled connection to %s closed before an answer (%s); sending again on a new one",
                                url, closed.getCause());
                        return exchange(fresh, false, options, body, url, sessionId, protocolVersion, requestId, onOther);
                    });
        }
        return hop == null ? exchange
                : exchange.onItemOrFailure().invoke(hop::end).onCancellation().invoke(hop::cancelled);
    }

    /** The first attempt's pooled connection closed, or was reset, before the response head arrived. */
    private static final class ClosedBeforeAnswer extends RuntimeException {
        ClosedBeforeAnswer(Throwable cause) {
            super(cause.getMessage(), cause, false, false);
        }
    }

    private Uni<McpReply> exchange(HttpClient client, boolean mayRetry, RequestOptions options, byte[] body, String url,
                                   String sessionId, String protocolVersion, JsonNode requestId, ReplyStream onOther) {
        return Uni.createFrom().emitter(emitter -> {
            AtomicBoolean done = new AtomicBoolean();
            AtomicReference<HttpClientRequest> inFlight = new AtomicReference<>();
            // Cancelled (by a time-box, say): reset the request, which closes its connection and frees the pool slot.
            emitter.onTermination(() -> {
                if (done.compareAndSet(false, true)) {
                    HttpClientRequest request = inFlight.get();
                    if (request != null) {
                        request.reset();
                    }
                }
            });
            eventLoops.run(() -> client.request(options)
                    .compose(request -> {
                        inFlight.set(request);
                        if (done.get()) {
                            // cancelled while waiting for a pooled connection: never send it
                            request.reset();
                            return io.vertx.core.Future.failedFuture(new java.util.concurrent.CancellationException("cancelled"));
                        }
                        return request.send(Buffer.buffer(body));
                    })
                    .onFailure(failure -> {
                        if (done.compareAndSet(false, true)) {
                            emitter.fail(mayRetry && closedBeforeAnswer(failure) ? new ClosedBeforeAnswer(failure)
                                    : BackendException.classify(url, failure));
                        }
                    })
                    .onSuccess(response -> handleResponse(url, sessionId, protocolVersion, requestId, response, onOther, reply -> {
                        if (done.compareAndSet(false, true)) {
                            emitter.complete(reply);
                        }
                    }, failure -> {
                        if (done.compareAndSet(false, true)) {
                            emitter.fail(failure);
                        }
                    })));
        });
    }

    /** Closed or reset before the response head: not a connect failure, a timeout or a cancellation. */
    static boolean closedBeforeAnswer(Throwable failure) {
        return failure instanceof io.vertx.core.http.HttpClosedException
                || (failure instanceof java.io.IOException && !(failure instanceof java.net.ConnectException)
                && !(failure instanceof java.net.UnknownHostException));
    }

    /**
     * Opens the session's server-to-client stream (GET). Completes with {@code true} once the stream is open and
     * with {@code false} when the backend offers none (405 or any non-SSE answer). Messages go to
     * {@code onMessage}; {@code onEnd} runs once when an open stream ends or fails. Returns a handle that closes it.
     */
    public Uni<Runnable> openStream(String url, String sessionId, String protocolVersion, Consumer<JsonNode> onMessage,
                                    Runnable onEnd, ClientToken client) {
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(url)
                .putHeader("Accept", "text/event-stream")
                .putHeader(McpHeaders.SESSION_ID, sessionId);
        if (protocolVersion != null) {
            options.putHeader(McpHeaders.PROTOCOL_VERSION, protocolVersion);
        }
        return authorized(url, client, options, () -> stream(url, options, onMessage, onEnd));
    }

    private Uni<Runnable> stream(String url, RequestOptions options, Consumer<JsonNode> onMessage, Runnable onEnd) {
        return Uni.createFrom().<Runnable>emitter(emitter -> eventLoops.run(() -> streams.request(options)
                .compose(request -> request.send().onSuccess(response -> {
                    String type = response.getHeader("Content-Type");
                    if (response.statusCode() != 200 || type == null || !type.toLowerCase().startsWith("text/event-stream")) {
                        response.body();
                        emitter.complete(null);
                        return;
                    }
                    AtomicBoolean ended = new AtomicBoolean();
                    Runnable end = () -> {
                        if (ended.compareAndSet(false, true)) {
                            onEnd.run();
                        }
                    };
                    SseParser parser = SseParser.ofData(data -> {
                        JsonNode msg = parseOrNull(data);
                        if (msg != null) {
                            onMessage.accept(msg);
                        }
                    }, MAX_RESPONSE_BYTES, () -> {
                        LOG.warnf("%s sent an SSE event larger than %d bytes on its GET stream; closing it", url, MAX_RESPONSE_BYTES);
                        request.reset();
                        end.run();
                    });
                    response.handler(chunk -> parser.feed(chunk.getBytes()));
                    response.endHandler(v -> end.run());
                    response.exceptionHandler(e -> end.run());
                    Runnable close = () -> {
                        ended.set(true);
                        request.reset();
                    };
                    emitter.complete(close);
                }))
                .onFailure(failure -> emitter.fail(BackendException.classify(url, failure)))));
    }

    /** Sends DELETE for a backend session; failures are ignored, the backend will expire it. */
    public Uni<Void> deleteSession(String url, String sessionId, String protocolVersion, ClientToken client) {
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.DELETE).setAbsoluteURI(url)
                .setIdleTimeout(deleteTimeoutMillis)
                .putHeader(McpHeaders.SESSION_ID, sessionId);
        if (protocolVersion != null) {
            options.putHeader(McpHeaders.PROTOCOL_VERSION, protocolVersion);
        }
        credentials.authorize(url, options::putHeader); // sent without one when it cannot be read: the backend expires the session anyway
        Uni<String> authorized = credentials.actsForClient(url, client)
                ? credentials.authorizeForClient(url, client, options) : Uni.createFrom().nullItem();
        return authorized.chain(ignored -> Uni.createFrom().completionStage(() -> pooled.request(options)
                        .compose(HttpClientRequest::send)
                        .compose(HttpClientResponse::body)
                        .toCompletionStage()))
                .replaceWithVoid()
                .onFailure().recoverWithNull();
    }

    /** A configured credential could not be read: the backend is not contacted, and the reason is its error. */
    private static <T> Uni<T> notContacted(String url, String unreadable) {
        return Uni.createFrom().failure(new BackendException(BackendException.Kind.UNAUTHORIZED, 0,
                url + " was not contacted: " + unreadable));
    }

    private void handleResponse(String url, String sentSessionId, String protocolVersion, JsonNode requestId,
                                HttpClientResponse response, ReplyStream onOther, Consumer<McpReply> complete,
                                Consumer<Throwable> fail) {
        int status = response.statusCode();
        String sessionId = response.getHeader(McpHeaders.SESSION_ID);
        String contentType = response.getHeader("Content-Type");
        boolean sse = contentType != null && contentType.toLowerCase().startsWith("text/event-stream");
        response.exceptionHandler(e -> fail.accept(BackendException.classify(url, e)));

        if (status == 401 || status == 403) {
            response.body();
            fail.accept(new BackendException(BackendException.Kind.UNAUTHORIZED, status, url + " answered " + status
                    + credentials.sentFrom(url)));
            return;
        }
        if (status == 404 && sentSessionId != null) {
            response.body();
            fail.accept(new BackendException(BackendException.Kind.SESSION_EXPIRED, status,
                    url + " no longer knows session " + sentSessionId));
            return;
        }
        if (status == 202 || status == 204) {
            response.body().onComplete(ignored -> complete.accept(new McpReply(status, sessionId, null)));
            return;
        }

        if (sse && status == 200) {
            if (onOther != null) {
                onOther.opened();
            }
            streamedAnswers.read(url, sentSessionId != null ? sentSessionId : sessionId, protocolVersion, requestId, status,
                    sessionId, response, onOther, complete, fail, 0);
            return;
        }

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        AtomicBoolean tooLarge = new AtomicBoolean();
        response.handler(chunk -> {
            if (bytes.size() + chunk.length() > MAX_RESPONSE_BYTES) {
                if (tooLarge.compareAndSet(false, true)) {
                    fail.accept(new BackendException(BackendException.Kind.PROTOCOL, status,
                            url + " sent a response larger than " + MAX_RESPONSE_BYTES + " bytes"));
                }
                return;
            }
            bytes.writeBytes(chunk.getBytes());
        });
        response.endHandler(v -> {
            if (tooLarge.get()) {
                return;
            }
            JsonNode msg = bytes.size() == 0 ? null : parseOrNull(bytes.toString(java.nio.charset.StandardCharsets.UTF_8));
            if (status == 400 && sentSessionId != null && namesUnknownSession(msg)) {
                // TypeScript-SDK servers answer an unknown session with 400 "No valid session ID provided"
                fail.accept(new BackendException(BackendException.Kind.SESSION_EXPIRED, status,
                        url + " no longer knows session " + sentSessionId));
            } else if (JsonRpcMessage.isAnswer(msg)) {
                complete.accept(new McpReply(status, sessionId, msg));
            } else if (status >= 500) {
                fail.accept(new BackendException(BackendException.Kind.HTTP_ERROR, status, url + " answered HTTP " + status));
            } else if (status >= 400) {
                fail.accept(new BackendException(BackendException.Kind.PROTOCOL, status,
                        url + " answered HTTP " + status + " without a JSON-RPC response"));
            } else {
                fail.accept(new BackendException(BackendException.Kind.PROTOCOL, status,
                        url + " answered HTTP " + status + " with " + (contentType == null ? "no content type" : contentType)
                                + " and no JSON-RPC response"));
            }
        });
    }

    /** A JSON-RPC error whose message is about the session (unknown, invalid, expired). */
    private static boolean namesUnknownSession(JsonNode msg) {
        if (!(JsonRpcMessage.of(msg).orElse(null) instanceof JsonRpcMessage.ErrorResponse error)) {
            return false;
        }
        String message = error.message().toLowerCase(java.util.Locale.ROOT);
        return message.contains("session");
    }

    /** The JSON-RPC message (object or batch) an SSE event carries; null for anything else (a priming event's empty data). */
    JsonNode parseOrNull(String text) {
        if (text == null || text.isBlank()) {
            return null; // readTree would answer MissingNode
        }
        try {
            JsonNode node = mapper.readTree(text);
            return node != null && (node.isObject() || node.isArray()) ? node : null;
        } catch (Exception e) {
            return null;
        }
    }
}
