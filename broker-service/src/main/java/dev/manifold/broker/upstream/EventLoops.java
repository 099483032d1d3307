package dev.manifold.broker.upstream;

import io.smallrye.common.vertx.VertxContext;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.impl.VertxInternal;

/** Where the backend client's exchanges run: an event loop, on a duplicated context of their own when not a client's. */
final class EventLoops {
    private final Vertx vertx;

    EventLoops(Vertx vertx) {
        this.vertx = vertx;
    }

    /**
     * Runs an exchange on an event loop. Started from a worker thread (a retry of the connect guard, a config
     * apply), the response future is completed on the connection's event loop but its listener is queued as a task,
     * and a small response can end before the listener sets its handlers (IllegalStateException: the response
     * has already been read), failing the attempt and costing a backoff interval.
     */
    void run(Runnable exchange) {
        if (Context.isOnEventLoopThread() && VertxContext.isOnDuplicatedContext()) {
            exchange.run(); // a client request's context: its MDC and trace go with the exchange
        } else {
            // A duplicated context of the exchange's own (a probe, a connect), so that what its callbacks put in
            // the MDC (the server id of a log line) stays with this exchange.
            Context base = Context.isOnEventLoopThread() ? Vertx.currentContext() : eventLoop();
            VertxContext.createNewDuplicatedContext(base).runOnContext(v -> exchange.run());
        }
    }

    private volatile Context eventLoop;

    private Context eventLoop() {
        Context context = eventLoop;
        if (context == null) {
            synchronized (this) {
                context = eventLoop;
                if (context == null) {
                    eventLoop = context = ((VertxInternal) vertx).createEventLoopContext();
                }
            }
        }
        return context;
    }
}
