package dev.manifold.broker.session;

import dev.manifold.broker.settings.BrokerConfig;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Writes an SSE comment ({@code : keepalive}) on every client stream this replica has open, every
 * {@code sse-heartbeat-interval}: a stream with no event for a while is not idle on the wire, so the HTTP idle
 * timeout (which closes connections a client holds without using, {@code quarkus.http.idle-timeout}) never ends a
 * stream a client is listening to, and intermediaries with their own idle timeouts keep it too. Clients ignore
 * comments.
 */
@ApplicationScoped
public class Heartbeats {
    private final ClientSessions sessions;
    private final BrokerConfig config;
    private final Vertx vertx;
    private long timer = -1;

    public Heartbeats(ClientSessions sessions, BrokerConfig config, Vertx vertx) {
        this.sessions = sessions;
        this.config = config;
        this.vertx = vertx;
    }

    void start(@Observes StartupEvent event) {
        long interval = config.sseHeartbeatInterval().toMillis();
        if (interval > 0) {
            timer = vertx.setPeriodic(interval, id -> beat());
        }
    }

    void stop(@Observes ShutdownEvent event) {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }

    /** One comment on each connected stream; a stream without a client connection is skipped. */
    void beat() {
        for (ClientSession session : sessions.all()) {
            EventStream standalone = session.standalone;
            if (standalone != null && standalone.connected()) {
                standalone.comment("keepalive");
            }
            for (EventStream stream : session.streams.values()) {
                if (stream.connected()) {
                    stream.comment("keepalive");
                }
            }
        }
    }
}
