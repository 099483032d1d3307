package dev.manifold.broker.backend;

import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Incremental parser for a text/event-stream body: feed it chunks as they arrive and it hands over the
 * {@code data} of each complete event. Handles LF and CRLF line ends and multi-line data fields.
 */
final class SseParser {
    private final Consumer<String> onData;
    /** Bytes of an incomplete line; kept as bytes so a UTF-8 sequence split across chunks decodes correctly. */
    private final java.io.ByteArrayOutputStream pending = new java.io.ByteArrayOutputStream();
    private final StringBuilder data = new StringBuilder();
    private boolean hasData;
    private String lastEventId;
    private long retryMillis = -1;

    SseParser(Consumer<String> onData) {
        this.onData = onData;
    }

    void feed(byte[] chunk) {
        int start = 0;
        for (int i = 0; i < chunk.length; i++) {
            if (chunk[i] == '\n') {
                pending.write(chunk, start, i - start);
                byte[] lineBytes = pending.toByteArray();
                pending.reset();
                int length = lineBytes.length > 0 && lineBytes[lineBytes.length - 1] == '\r'
                        ? lineBytes.length - 1 : lineBytes.length;
                line(new String(lineBytes, 0, length, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        pending.write(chunk, start, chunk.length - start);
    }

    /** Flushes a last event not followed by a blank line. */
    void end() {
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
