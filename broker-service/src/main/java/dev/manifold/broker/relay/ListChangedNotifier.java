package dev.manifold.broker.relay;

import dev.manifold.broker.upstream.JsonRpc;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.manifold.broker.catalog.Aggregator;
import dev.manifold.broker.settings.BrokerConfig;
import dev.manifold.broker.session.ClientSession;
import dev.manifold.broker.session.ClientSessions;
import dev.manifold.broker.session.EventStream;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tells clients what they see changed: at most one {@code notifications/<kind>/list_changed} per kind (tools,
 * prompts, resources) per client per coalescing window, however many changes happened in it. A client whose
 * stream cannot keep up is never waited for: it owes one notification per kind, sent when its stream drains (the
 * notification is idempotent, so one is enough).
 */
@ApplicationScoped
public class ListChangedNotifier {

    private final Vertx vertx;
    private final ClientSessions sessions;
    private final BrokerConfig config;
    private final Map<String, String> events = new ConcurrentHashMap<>();
    private final Map<String, Counter> sent = new ConcurrentHashMap<>();
    private final Map<String, Counter> deferred = new ConcurrentHashMap<>();
    private final Set<String> due = new TreeSet<>();
    private long timer = -1;

    public ListChangedNotifier(Vertx vertx, ClientSessions sessions, Aggregator aggregator, BrokerConfig config,
                               ObjectMapper mapper, MeterRegistry registry) throws Exception {
        this.vertx = vertx;
        this.sessions = sessions;
        this.config = config;
        for (String kind : new String[]{"tools", "prompts", "resources"}) {
            events.put(kind, mapper.writeValueAsString(JsonRpc.notification("notifications/" + kind + "/list_changed")));
            sent.put(kind, Counter.builder("manifold.broker.notifications.sent").tag("method", kind + "/list_changed")
                    .description("Notifications written to client streams").register(registry));
            deferred.put(kind, Counter.builder("manifold.broker.notifications.deferred").tag("method", kind + "/list_changed")
                    .description("Notifications deferred because a client stream was full").register(registry));
        }
        aggregator.onChange(this::schedule);
    }

    void init(@Observes StartupEvent event) {
        // Eager bean: subscribes to aggregate changes from the start.
    }

    private synchronized void schedule(String kind) {
        due.add(kind);
        if (timer >= 0) {
            return; // a notification is already due in this window
        }
        timer = vertx.setTimer(Math.max(1, config.listChangedCoalesce().toMillis()), t -> {
            Set<String> kinds;
            synchronized (this) {
                timer = -1;
                kinds = new TreeSet<>(due);
                due.clear();
            }
            for (ClientSession session : sessions.all()) {
                kinds.forEach(k -> send(session, k));
            }
        });
    }

    /** Writes one list_changed to the session's GET stream, or defers it until the stream drains. */
    void send(ClientSession session, String kind) {
        EventStream stream = session.standalone();
        HttpServerResponse connection = stream == null ? null : stream.connection();
        if (connection == null) {
            return;
        }
        if (connection.writeQueueFull()) {
            if (!session.markListChangedPending(kind)) {
                deferred.get(kind).increment();
                connection.drainHandler(v -> session.takeListChangedPending().forEach(k -> send(session, k)));
            }
            return;
        }
        stream.send(events.get(kind));
        sent.get(kind).increment();
    }
}
