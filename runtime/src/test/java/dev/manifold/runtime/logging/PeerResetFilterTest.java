package dev.manifold.runtime.logging;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PeerResetFilterTest {
    private final PeerResetFilter filter = new PeerResetFilter();

    private static LogRecord record(String logger, String message, Throwable thrown) {
        LogRecord r = new LogRecord(Level.SEVERE, message);
        r.setLoggerName(logger);
        r.setThrown(thrown);
        return r;
    }

    @Test
    void aPeersResetIsNotLoggedAndEverythingElseIs() {
        assertFalse(filter.isLoggable(record(PeerResetFilter.CONNECTION_LOGGER,
                "recvAddress(..) failed with error(-104): Connection reset by peer", null)));
        assertFalse(filter.isLoggable(record(PeerResetFilter.CONNECTION_LOGGER, "Connection reset", null)));
        assertFalse(filter.isLoggable(record(PeerResetFilter.CONNECTION_LOGGER, "x", new IOException("Broken pipe"))));
        assertTrue(filter.isLoggable(record(PeerResetFilter.CONNECTION_LOGGER, "Unhandled exception",
                new IllegalStateException("a bug"))), "another Vert.x connection error still shows");
        assertTrue(filter.isLoggable(record("dev.manifold.broker.http.McpEndpoint", "Connection reset by peer", null)),
                "Manifold's own lines are never filtered");
    }
}
