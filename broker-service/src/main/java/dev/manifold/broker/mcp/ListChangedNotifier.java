package dev.manifold.broker.mcp;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.manifold.broker.aggregate.Aggregator;
import dev.manifold.broker.config.BrokerConfig;
import dev.manifold.broker.session.ClientSession;
import dev.manifold.broker.session.ClientSessions;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Tells clients the tool set changed: at most one {@code notifications/tools/list_changed} per client per
 * coalescing window, however many changes happened in it. A client whose stream cannot keep up is never waited
 * for: it owes one notification, sent when its stream drains (the notification is idempotent, so one is enough).
 */
@ApplicationScoped
public class ListChangedNotifier {

    private final Vertx vertx;
    private final ClientSessions sessions;
    private final BrokerConfig config;
    private final Buffer event;
    private final Counter sent;
    private final Counter coalesced;
    private volatile long timer = -1;

    public ListChangedNotifier(Vertx vertx, ClientSessions sessions, Aggregator aggregator, BrokerConfig config,
                               ObjectMapper mapper, MeterRegistry registry) throws Exception {
        this.vertx = vertx;
        this.sessions = sessions;
        this.config = config;
        this.event = Buffer.buffer("event: message\ndata: "
                + mapper.writeValueAsString(JsonRpc.notification("notifications/tools/list_changed")) + "\n\n");
        this.sent = Counter.builder("manifold.broker.notifications.sent").tag("method", "tools/list_changed")
                .description("Notifications written to client streams").register(registry);
        this.coalesced = Counter.builder("manifold.broker.notifications.deferred").tag("method", "tools/list_changed")
                .description("Notifications deferred because a client stream was full").register(registry);
        aggregator.onChange(catalog -> schedule());
    }

    void init(@Observes StartupEvent event) {
        // Eager bean: subscribes to aggregate changes from the start.
    }

    private synchronized void schedule() {
        if (timer >= 0) {
            return; // a notification is already due in this window
        }
        timer = vertx.setTimer(Math.max(1, config.listChangedCoalesce().toMillis()), t -> {
            synchronized (this) {
                timer = -1;
            }
            for (ClientSession session : sessions.all()) {
                send(session);
            }
        });
    }

    /** Writes one list_changed to the session's stream, or defers it until the stream drains. */
    void send(ClientSession session) {
        HttpServerResponse stream = session.stream();
        if (stream == null || stream.closed()) {
            return;
        }
        if (stream.writeQueueFull()) {
            if (!session.markListChangedPending()) {
                coalesced.increment();
                stream.drainHandler(v -> {
                    if (session.clearListChangedPending()) {
                        send(session);
                    }
                });
            }
            return;
        }
        stream.write(event);
        sent.increment();
    }
}
