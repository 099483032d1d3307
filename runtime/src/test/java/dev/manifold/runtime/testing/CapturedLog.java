package dev.manifold.runtime.testing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Every log record the JVM writes while it is open (a handler on the root java.util.logging logger, which Quarkus'
 * JBoss LogManager feeds), each as one line: the logger, the format, its parameters and the exception, wherever a
 * value could have been put.
 */
public final class CapturedLog implements AutoCloseable {
    private final List<LogRecord> records = Collections.synchronizedList(new ArrayList<>());
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord record) {
            records.add(record);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    private CapturedLog() {
        Logger.getLogger("").addHandler(handler);
    }

    /** Starts capturing. */
    public static CapturedLog start() {
        return new CapturedLog();
    }

    /** Every record so far, as text. */
    public String text() {
        return String.join("\n", lines(Level.ALL));
    }

    /** The records at {@code level} or above, as text lines. */
    public List<String> lines(Level level) {
        synchronized (records) {
            return records.stream().filter(r -> r.getLevel().intValue() >= level.intValue())
                    .map(r -> r.getLevel() + " " + r.getLoggerName() + " " + r.getMessage() + " "
                            + (r.getParameters() == null ? "" : Arrays.toString(r.getParameters()))
                            + (r.getThrown() == null ? "" : " " + r.getThrown()))
                    .toList();
        }
    }

    @Override
    public void close() {
        Logger.getLogger("").removeHandler(handler);
    }
}
