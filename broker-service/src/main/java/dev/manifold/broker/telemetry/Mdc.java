package dev.manifold.broker.telemetry;

import dev.manifold.contracts.Telemetry;
import io.smallrye.common.vertx.VertxContext;
import io.vertx.core.Vertx;
import org.jboss.logging.MDC;

/**
 * The broker's use of the logging MDC ({@link Telemetry#MDC_SESSION_ID}, {@link Telemetry#MDC_SERVER_ID}), which
 * the JSON log format writes as fields of each line.
 *
 * <p>Quarkus keeps the MDC in the current duplicated Vert.x context (one per HTTP request), or in a thread local
 * where there is no Vert.x context. A value put for a request ends with it; a value put on a thread would label
 * that thread's later, unrelated lines, so it is only ever put around one line and then restored.
 */
public final class Mdc {

    private Mdc() {
    }

    /** Labels every later line of the current request; does nothing outside a request's context. */
    public static void request(String key, String value) {
        if (VertxContext.isOnDuplicatedContext()) {
            MDC.put(key, value);
        }
    }

    /**
     * Writes one line about a backend: {@code log} runs with {@link Telemetry#MDC_SERVER_ID} set to {@code
     * serverId}, and the MDC is as it was afterwards. On an event loop outside any request the MDC cannot hold a
     * value (there is no context of the line's own), so such a line is written with the id in its message only.
     */
    public static void aboutServer(String serverId, Runnable log) {
        if (Vertx.currentContext() != null && !VertxContext.isOnDuplicatedContext()) {
            log.run();
            return;
        }
        Object before = MDC.get(Telemetry.MDC_SERVER_ID);
        MDC.put(Telemetry.MDC_SERVER_ID, serverId);
        try {
            log.run();
        } finally {
            if (before == null) {
                MDC.remove(Telemetry.MDC_SERVER_ID);
            } else {
                MDC.put(Telemetry.MDC_SERVER_ID, before);
            }
        }
    }
}
