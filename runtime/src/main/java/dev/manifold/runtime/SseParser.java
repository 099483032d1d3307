package dev.manifold.runtime;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The project's one parser of {@code text/event-stream} bodies (the broker's backend streams, and the test clients):
 * feed it chunks as they arrive and it hands over each complete event. Handles LF and CRLF line ends, UTF-8 split
 * across chunks and multi-line data fields. An event (or a line) larger than the limit stops the parser and is
 * reported once, so a peer cannot make the reader buffer without bound. Not thread-safe: one stream, one reader.
 */
public final class SseParser {

    /**
     * One event.
     *
     * @param id   the {@code id} field of this event, or {@code null} when it had none
     * @param data the data lines joined with LF; empty for an event whose data is empty (a priming event)
     */
    public record Event(String id, String data) {
    }

    private final Consumer<Event> onEvent;
    private final int maxEventBytes;
    private final Runnable onOverflow;
    private boolean overflowed;
    /** Bytes of an incomplete line; kept as bytes so a UTF-8 sequence split across chunks decodes correctly. */
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private final StringBuilder data = new StringBuilder();
    private boolean hasData;
    private String eventId;
    private String lastEventId;
    private long retryMillis = -1;

    /** Hands over the data of each event that has any, without a size limit (for trusted, finite bodies). */
    public static SseParser ofData(Consumer<String> onData) {
        return new SseParser(event -> onData.accept(event.data()), Integer.MAX_VALUE, () -> {
        });
    }

    /** Hands over the data of each event; an event over {@code maxEventBytes} stops the parser and runs {@code onOverflow}. */
    public static SseParser ofData(Consumer<String> onData, int maxEventBytes, Runnable onOverflow) {
        return new SseParser(event -> onData.accept(event.data()), maxEventBytes, onOverflow);
    }

    public SseParser(Consumer<Event> onEvent, int maxEventBytes, Runnable onOverflow) {
        this.onEvent = onEvent;
        this.maxEventBytes = maxEventBytes;
        this.onOverflow = onOverflow;
    }

    /** The non-empty data of every event of a whole body, in order. */
    public static List<String> messages(String body) {
        List<String> messages = new ArrayList<>();
        SseParser parser = ofData(data -> {
            if (!data.isBlank()) {
                messages.add(data);
            }
        });
        parser.feed(body.getBytes(StandardCharsets.UTF_8));
        parser.end();
        return messages;
    }

    /** Whether an event over the limit stopped the parser. */
    public boolean overflowed() {
        return overflowed;
    }

    public void feed(byte[] chunk) {
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
    public void end() {
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
                eventId = value;
                lastEventId = value;
            }
        } else if (line.startsWith("retry:")) {
            try {
                retryMillis = Long.parseLong(line.substring(6).trim());
            } catch (NumberFormatException ignored) {
                // not a number: ignored, as the SSE specification says
            }
        }
        // event: and comments carry nothing a reader of MCP streams needs.
    }

    /** The last event id seen (for resuming with Last-Event-ID), or {@code null}. */
    public String lastEventId() {
        return lastEventId;
    }

    /** The last retry hint in milliseconds, or -1. */
    public long retryMillis() {
        return retryMillis;
    }

    /** As the SSE specification says: an event without any data line is not dispatched (its id still counts). */
    private void dispatch() {
        String id = eventId;
        eventId = null;
        if (hasData) {
            Event event = new Event(id, data.toString());
            data.setLength(0);
            hasData = false;
            onEvent.accept(event);
        }
    }
}
