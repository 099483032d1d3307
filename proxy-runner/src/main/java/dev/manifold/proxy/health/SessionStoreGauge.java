package dev.manifold.proxy.health;

import dev.manifold.proxy.session.SessionStore;
import dev.manifold.proxy.session.Sessions;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code manifold_proxy_session_store_up}: 1 while the session store answers a PING, 0 while it does not (new
 * sessions then get 503), so an alert can name it. Pings every {@value #PERIOD_MS} ms off the request path; starts at
 * 0 until the first answer.
 */
@ApplicationScoped
public class SessionStoreGauge {
    static final long PERIOD_MS = 5_000;

    private final AtomicInteger up = new AtomicInteger();
    private final Sessions sessions;
    private final Vertx vertx;
    private long timer = -1;

    public SessionStoreGauge(Sessions sessions, Vertx vertx, MeterRegistry registry) {
        this.sessions = sessions;
        this.vertx = vertx;
        Gauge.builder("manifold.proxy.session.store.up", up, AtomicInteger::get)
                .description("1 while the session store (Redis, or memory) answers a PING, else 0")
                .register(registry);
    }

    void onStart(@Observes StartupEvent event) {
        ping();
        timer = vertx.setPeriodic(PERIOD_MS, id -> ping());
    }

    void onStop(@Observes ShutdownEvent event) {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }

    private void ping() {
        SessionStore store = sessions.store();
        if (store == null) {
            return; // not chosen yet at start-up: the next tick pings it
        }
        store.ping().onFailure().recoverWithItem(false)
                .subscribe().with(ok -> up.set(Boolean.TRUE.equals(ok) ? 1 : 0), e -> up.set(0));
    }
}
