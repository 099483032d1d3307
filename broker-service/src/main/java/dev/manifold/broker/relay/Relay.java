package dev.manifold.broker.relay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.manifold.broker.reply.Exchange;
import dev.manifold.broker.session.ClientSession;
import dev.manifold.broker.session.EventStream;
import dev.manifold.broker.upstream.Backend;
import dev.manifold.broker.upstream.McpHttpClient;

/**
 * Relays one forwarded request's stream: passes each message the backend sends before its answer on after
 * rewriting ids, progress tokens and URIs, on an SSE response opened for the first of them, or once the answer
 * has taken {@code stream-open-delay}. An answer that comes alone and in time (the common case, even when the
 * backend streamed it) goes to the client as JSON: one write, and nothing for the client to parse as a stream.
 */
public final class Relay implements McpHttpClient.ReplyStream {
    private final ServerMessages messages;
    private final Exchange ex;
    private final ClientSession session;
    private final Backend backend;
    private EventStream stream;

    Relay(ServerMessages messages, Exchange ex, ClientSession session, Backend backend) {
        this.messages = messages;
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
        long delay = messages.config.streamOpenDelay().toMillis();
        if (delay <= 0) {
            stream = ex.openStream(session);
        } else {
            openTimer = messages.vertx.setTimer(delay, t -> openLate());
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
        messages.fromBackend(session, backend, message, target);
    }

    /** The backend's answer (or the error that stands for it), to the client, ending the exchange. */
    public synchronized void complete(ObjectNode answer, String outcome) {
        completed = true;
        if (openTimer >= 0) {
            messages.vertx.cancelTimer(openTimer);
            openTimer = -1;
        }
        if (stream == null) {
            ex.reply(200, answer, outcome);
            return;
        }
        stream.send(answer.toString());
        if (session != null) {
            messages.streams.finishPostStream(session, stream);
        } else {
            stream.finish(); // stateless: no session keeps the stream for resumption
        }
        ex.count(outcome);
    }
}
