package dev.manifold.broker.reply;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.manifold.broker.session.ClientSession;
import dev.manifold.broker.session.EventStream;
import dev.manifold.broker.upstream.JsonRpc;
import dev.manifold.contracts.JsonRpcErrors;
import dev.manifold.contracts.McpHeaders;
import dev.manifold.contracts.McpVersions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;

/**
 * One client HTTP exchange on {@code /mcp}: answered once (JSON, an SSE stream, or 202), with its metrics recorded.
 * Everything that answers a client (the endpoint, the dispatcher, the relay) writes through it.
 */
public final class Exchange {
    private static final Logger LOG = Logger.getLogger(Exchange.class);

    public final RoutingContext ctx;
    private final long started;
    private final Replies replies;
    /** The method label of the request's metrics. */
    public String method = "unknown";
    /** Whether the client's Accept header allows an SSE answer. */
    public boolean sseAccepted;
    /** The client's Authorization and caller, once authenticated: what authPassthrough/tokenExchange servers get. */
    public dev.manifold.broker.credentials.ClientToken client = dev.manifold.broker.credentials.ClientToken.of(null, null);

    Exchange(Replies replies, RoutingContext ctx, long started) {
        this.replies = replies;
        this.ctx = ctx;
        this.started = started;
    }

    public void reply(int status, ObjectNode body, String outcome) {
        byte[] bytes;
        try {
            bytes = replies.mapper.writeValueAsBytes(body);
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
    public void unavailable(JsonNode id, Throwable failure) {
        LOG.debugf("Session store unavailable: %s", failure.getMessage());
        ctx.response().putHeader("Retry-After", "1");
        reply(503, JsonRpc.error(id, JsonRpcErrors.INTERNAL_ERROR, "Session store unavailable, retry shortly"), "unavailable");
    }

    /** Answers with what the broker itself computed: JSON, or a one-event SSE stream when configured so. */
    public void local(ClientSession session, ObjectNode answer) {
        if (!sseAccepted || !replies.streamLocalAnswers()) {
            reply(200, answer, "ok");
            return;
        }
        EventStream stream = openStream(session);
        stream.send(answer.toString());
        if (session != null) {
            replies.streams.finishPostStream(session, stream);
        } else {
            stream.finish();
        }
        count("ok");
    }

    /** Starts an SSE answer; for 2025-11-25 and later it begins with the priming event. */
    public EventStream openStream(ClientSession session) {
        HttpServerResponse response = ctx.response();
        response.setStatusCode(200).setChunked(true)
                .putHeader("Content-Type", "text/event-stream")
                .putHeader("Cache-Control", "no-cache");
        EventStream stream = session == null ? EventStream.detached() : replies.streams.openPostStream(session);
        stream.attach(response, 0);
        String version = ctx.request().getHeader(McpHeaders.PROTOCOL_VERSION);
        if (version == null && session != null) {
            version = session.protocolVersion();
        }
        if (session != null && version != null && version.compareTo("2025-11-25") >= 0 && !McpVersions.STATELESS.equals(version)) {
            stream.prime(replies.config.sseRetry().toMillis());
        }
        return stream;
    }

    public void accepted() {
        ctx.response().setStatusCode(202).end();
        count("ok");
    }

    public void count(String outcome) {
        replies.count(method, outcome, started);
    }
}
