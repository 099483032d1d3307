package dev.manifold.broker.upstream;

import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Incremental parser for a text/event-stream body: feed it chunks as they arrive and it hands over the
 * {@code data} of each complete event. Handles LF and CRLF line ends and multi-line data fields. An event (or a
 * line) larger than the limit stops the parser and is reported once, so a backend cannot make the broker buffer
 * without bound.
 */
final class SseParser {
    private final Consumer<String> onData;
    private final int maxEventBytes;
    private final Runnable onOverflow;
    private boolean overflowed;
    /** Bytes of an incomplete line; kept as bytes so a UTF-8 sequence split across chunks decodes correctly. */
    private final java.io.ByteArrayOutputStream pending = new java.io.ByteArrayOutputStream();
    private final StringBuilder data = new StringBuilder();
    private boolean hasData;
    private String lastEventId;
    private long retryMillis = -1;

    SseParser(Consumer<String> onData) {
        this(onData, Integer.MAX_VALUE, () -> {
        });
    }

    SseParser(Consumer<String> onData, int maxEventBytes, Runnable onOverflow) {
        this.onData = onData;
        this.maxEventBytes = maxEventBytes;
        this.onOverflow = onOverflow;
    }

    /** Whether an event over the limit stopped the parser. */
    boolean overflowed() {
        return overflowed;
    }

    void feed(byte[] chunk) {
        if (overflowed) {
            return;
        }
        int start = 0;
        for (int i = 0; i < chunk.length; i++) {
            if (chunk[i] == '\n') {
                pending.write(chunk, start, i - start);
                byte[] lineBytes = pending.toByteArray();
                pending.reset();
                int length = lineBytes.length > 0 && lineBytes[lineBytes.length - 1] == '\r'
                        ? lineBytes.length - 1 : lineBytes.length;
                line(new String(lineBytes, 0, length, StandardCharsets.UTF_8));
                if (data.length() > maxEventBytes) { // characters: never more than the event's UTF-8 bytes
                    overflow();
                    return;
                }
                start = i + 1;
            }
        }
        pending.write(chunk, start, chunk.length - start);
        if ((long) pending.size() + data.length() > maxEventBytes) {
            overflow();
        }
    }

    private void overflow() {
        overflowed = true;
        pending.reset();
        data.setLength(0);
        hasData = false;
        onOverflow.run();
    }

    /** Flushes a last event not followed by a blank line. */
    void end() {
        if (overflowed) {
            return;
        }
        if (pending.size() > 0) {
            line(pending.toString(StandardCharsets.UTF_8));
            pending.reset();
        }
        dispatch();
    }

    private void line(String line) {
        if (line.isEmpty()) {
            dispatch();
        } else if (line.startsWith("data:")) {
            String value = line.substring(5);
            if (value.startsWith(" ")) {
                value = value.substring(1);
            }
            if (hasData) {
                data.append('\n');
            }
            data.append(value);
            hasData = true;
        } else if (line.startsWith("id:")) {
            String value = line.substring(3).trim();
            if (value.indexOf(0) < 0) {
                lastEventId = value;
            }
        } else if (line.startsWith("retry:")) {
            try {
                retryMillis = Long.parseLong(line.substring(6).trim());
            } catch (NumberFormatException ignored) {
                // not a number: ignored, as the SSE specification says
            }
        }
        // event: and comments carry nothing the broker needs.
    }

    /** The last event id seen (for resuming with Last-Event-ID), or {@code null}. */
    String lastEventId() {
        return lastEventId;
    }

    /** The last retry hint in milliseconds, or -1. */
    long retryMillis() {
        return retryMillis;
    }

    private void dispatch() {
        if (hasData) {
            String event = data.toString();
            data.setLength(0);
            hasData = false;
            onData.accept(event);
        }
    }
}
