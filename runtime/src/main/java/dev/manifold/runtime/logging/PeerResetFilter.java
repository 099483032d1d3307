package dev.manifold.runtime.logging;

import io.quarkus.logging.LoggingFilter;

import java.io.IOException;
import java.util.logging.Filter;
import java.util.logging.LogRecord;

/**
 * Keeps Vert.x's per-connection I/O errors out of the console log: {@code ConnectionBase} logs at ERROR every
 * connection a peer resets or abandons ("Connection reset by peer", "Connection reset"), which any anonymous caller
 * can produce at will, one line per connection. Such a line says nothing an operator can act on; errors of
 * Manifold's own code, and any other Vert.x error, still pass. Set on the console handler by each service
 * ({@code quarkus.log.console.filter=manifold-peer-resets}).
 */
@LoggingFilter(name = "manifold-peer-resets")
public final class PeerResetFilter implements Filter {
    static final String CONNECTION_LOGGER = "io.vertx.core.net.impl.ConnectionBase";

    @Override
    public boolean isLoggable(LogRecord record) {
        if (!CONNECTION_LOGGER.equals(record.getLoggerName())) {
            return true;
        }
        Throwable thrown = record.getThrown();
        if (thrown instanceof IOException) {
            return false;
        }
        String message = record.getMessage();
        return message == null || !(message.contains("Connection reset") || message.contains("Broken pipe"));
    }
}
