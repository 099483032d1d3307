package dev.manifold.broker.upstream;

import dev.manifold.runtime.JsonRpcMessage;
import dev.manifold.runtime.SseParser;
import com.fasterxml.jackson.databind.JsonNode;
import dev.manifold.contracts.McpHeaders;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A backend's answer that comes as an SSE stream: read until the response to the request, passing the stream's
 * other messages on, and resumed with GET and {@code Last-Event-ID} when the stream ends first (SSE polling,
 * 2025-11-25).
 */
final class StreamedAnswers {
    private final Vertx vertx;
    private final HttpClient streams;
    private final Function<String, JsonNode> parse;
    /** Adds the URL's credential to a request; returns why it cannot be read, or null. */
    private final Authorizer authorize;

    StreamedAnswers(Vertx vertx, HttpClient streams, Function<String, JsonNode> parse,
                    Authorizer authorize) {
        this.vertx = vertx;
        this.streams = streams;
        this.authorize = authorize;
        this.parse = parse;
    }

    /** Puts a resume's credentials in its headers; {@code sent} is the Authorization the cut-off request carried. */
    interface Authorizer {
        void resume(String url, RequestOptions resume, String sent);
    }

    /**
     * Reads an SSE response until the response to {@code requestId}. A stream that ends before it, after the
     * backend gave an event id, is resumed with GET and Last-Event-ID (SSE polling, 2025-11-25), after the
     * backend's retry hint, at most {@link #McpHttpClient.MAX_RESUMES} times.
     */
    void read(String url, String sessionId, String protocolVersion, JsonNode requestId, int status,
              String returnedSessionId, HttpClientResponse response, McpHttpClient.ReplyStream onOther,
              Consumer<McpReply> complete, Consumer<Throwable> fail, int resumes) {
        AtomicBoolean answered = new AtomicBoolean();
        SseParser[] holder = new SseParser[1];
        SseParser parser = SseParser.ofData(data -> {
            JsonNode msg = parse.apply(data);
            if (msg == null) {
                return;
            }
            if (isResponseTo(msg, requestId) && answered.compareAndSet(false, true)) {
                complete.accept(new McpReply(status, returnedSessionId, msg, true));
            } else if (onOther != null) {
                onOther.message(msg);
            }
        }, McpHttpClient.MAX_RESPONSE_BYTES, () -> {
            if (answered.compareAndSet(false, true)) {
                fail.accept(new BackendException(BackendException.Kind.PROTOCOL, status,
                        url + " sent an SSE event larger than " + McpHttpClient.MAX_RESPONSE_BYTES + " bytes"));
            }
            response.request().reset();
        });
        holder[0] = parser;
        response.handler(chunk -> parser.feed(chunk.getBytes()));
        response.exceptionHandler(e -> {
            if (!answered.get()) {
                fail.accept(BackendException.classify(url, e));
            }
        });
        response.endHandler(v -> {
            parser.end();
            if (answered.get()) {
                return;
            }
            String lastId = parser.lastEventId();
            if (lastId == null || sessionId == null || resumes >= McpHttpClient.MAX_RESUMES) {
                fail.accept(new BackendException(BackendException.Kind.PROTOCOL, status,
                        url + " closed its event stream without answering request " + requestId));
                return;
            }
            long delay = parser.retryMillis() > 0 ? Math.min(parser.retryMillis(), 30_000) : 100;
            vertx.setTimer(delay, t -> {
                RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(url)
                        .putHeader("Accept", "text/event-stream")
                        .putHeader(McpHeaders.SESSION_ID, sessionId)
                        .putHeader("Last-Event-ID", lastId);
                if (protocolVersion != null) {
                    options.putHeader(McpHeaders.PROTOCOL_VERSION, protocolVersion);
                }
                authorize.resume(url, options, response.request().headers().get("Authorization"));
                streams.request(options).compose(HttpClientRequest::send).onComplete(ar -> {
                    if (ar.failed()) {
                        fail.accept(BackendException.classify(url, ar.cause()));
                        return;
                    }
                    HttpClientResponse resumed = ar.result();
                    String type = resumed.getHeader("Content-Type");
                    if (resumed.statusCode() != 200 || type == null || !type.toLowerCase().startsWith("text/event-stream")) {
                        resumed.body();
                        fail.accept(new BackendException(BackendException.Kind.PROTOCOL, resumed.statusCode(),
                                url + " refused to resume its event stream (HTTP " + resumed.statusCode() + ")"));
                        return;
                    }
                    read(url, sessionId, protocolVersion, requestId, status, returnedSessionId, resumed, onOther,
                            complete, fail, resumes + 1);
                });
            });
        });
    }

    private static boolean isResponseTo(JsonNode msg, JsonNode requestId) {
        return JsonRpcMessage.answers(msg, requestId);
    }
}
