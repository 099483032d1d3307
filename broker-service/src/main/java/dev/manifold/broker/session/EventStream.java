package dev.manifold.broker.session;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;

/**
 * One server-to-client SSE stream of a session, as the client sees it: the response to one POST, or the session's
 * GET stream. Every event gets an id {@code <stream>.<seq>} and the last {@code replayLimit} events are kept, so a
 * client whose connection dropped can reconnect with {@code GET} and {@code Last-Event-ID} and get what it missed,
 * then the rest of the stream (resumability; the broker does this itself, whatever the backend supports).
 * Messages are never dropped because a connection is gone: they wait in the replay buffer.
 */
public final class EventStream {
    private final String id;
    private final int replayLimit;
    private final ArrayDeque<Event> replay = new ArrayDeque<>();
    private HttpServerResponse connection;
    private long seq;
    private boolean finished;
    private volatile long finishedAt;

    private record Event(long seq, Buffer bytes) {
    }

    EventStream(String id, int replayLimit) {
        this.id = id;
        this.replayLimit = Math.max(1, replayLimit);
    }

    /** A stream no session keeps (stateless answers): not resumable. */
    public static EventStream detached() {
        return new EventStream("s", 1);
    }

    public String id() {
        return id;
    }

    /** Sends one JSON-RPC message as an event. */
    public synchronized void send(String json) {
        long n = ++seq;
        Buffer bytes = Buffer.buffer("id: " + id + "." + n + "\nevent: message\ndata: " + json + "\n\n", StandardCharsets.UTF_8.name());
        replay.addLast(new Event(n, bytes));
        while (replay.size() > replayLimit) {
            replay.removeFirst();
        }
        write(bytes);
    }

    /** The priming event of 2025-11-25: an id and empty data, so the client can resume from the start. */
    public synchronized void prime(long retryMillis) {
        long n = ++seq;
        StringBuilder event = new StringBuilder("id: ").append(id).append('.').append(n).append('\n');
        if (retryMillis > 0) {
            event.append("retry: ").append(retryMillis).append('\n');
        }
        event.append("data: \n\n");
        write(Buffer.buffer(event.toString(), StandardCharsets.UTF_8.name()));
    }

    /** A comment line, to open the stream without an event. */
    public synchronized void comment(String text) {
        write(Buffer.buffer(": " + text + "\n\n", StandardCharsets.UTF_8.name()));
    }

    private void write(Buffer bytes) {
        HttpServerResponse out = connection;
        if (out != null && !out.closed() && !out.ended()) {
            out.write(bytes);
        }
    }

    /**
     * Attaches a client connection (already sent its 200 and SSE headers), after replaying the kept events that
     * come after {@code afterSeq} (0: none are replayed). A finished stream ends the connection after the replay.
     */
    public synchronized void attach(HttpServerResponse response, long afterSeq) {
        HttpServerResponse previous = connection;
        connection = response;
        if (previous != null && previous != response && !previous.closed() && !previous.ended()) {
            previous.end();
        }
        if (afterSeq > 0) {
            for (Event event : replay) {
                if (event.seq() > afterSeq) {
                    response.write(event.bytes());
                }
            }
        }
        if (finished) {
            response.end();
            connection = null;
            return;
        }
        response.closeHandler(v -> detach(response));
    }

    private synchronized void detach(HttpServerResponse response) {
        if (connection == response) {
            connection = null;
        }
    }

    /** Whether a client connection is attached and open. */
    public synchronized boolean connected() {
        return connection != null && !connection.closed() && !connection.ended();
    }

    /** The attached connection, or {@code null}. */
    public synchronized HttpServerResponse connection() {
        return connected() ? connection : null;
    }

    /** Ends the stream: the final message was sent. Returns whether a client was connected to receive it. */
    public synchronized boolean finish() {
        finished = true;
        finishedAt = System.currentTimeMillis();
        boolean delivered = connected();
        if (delivered) {
            connection.end();
        }
        connection = null;
        return delivered;
    }

    /** Closes the connection without finishing the stream (session end). */
    public synchronized void close() {
        finished = true;
        finishedAt = System.currentTimeMillis();
        if (connected()) {
            connection.end();
        }
        connection = null;
        replay.clear();
    }

    public boolean finished() {
        return finishedAt > 0;
    }

    public long finishedAt() {
        return finishedAt;
    }

    /** Parses the sequence number of a {@code Last-Event-ID} of this stream, or -1. */
    static long seqOf(String lastEventId, String streamId) {
        if (lastEventId == null || !lastEventId.startsWith(streamId + ".")) {
            return -1;
        }
        try {
            return Long.parseLong(lastEventId.substring(streamId.length() + 1));
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
