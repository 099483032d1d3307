package dev.manifold.runtime.testing;

import dev.manifold.runtime.SseParser;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One streaming HTTP exchange with an MCP endpoint (the broker's or the proxy-runner's /mcp), read event by event
 * while it is open (rest-assured reads whole bodies only). A reader thread feeds the body to the project's
 * {@link SseParser} and queues the events; {@link #next(Duration)} takes them in order. A POST answered with plain
 * JSON yields its body as one event. {@link #close()} drops the connection.
 */
public final class SseClient implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /** One SSE event: its id (may be null) and its data (may be empty, as in priming events). */
    public record Event(String id, String data) {
    }

    private static final Event END = new Event(null, null);

    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final CompletableFuture<HttpResponse<InputStream>> response;
    private volatile InputStream body;
    private volatile boolean ended;

    private SseClient(HttpRequest request) {
        response = HTTP.sendAsync(request, HttpResponse.BodyHandlers.ofInputStream());
        response.thenAccept(r -> {
            body = r.body();
            boolean json = r.headers().firstValue("Content-Type").orElse("").startsWith("application/json");
            Thread reader = new Thread(json ? this::readJson : this::read, "sse-client-reader");
            reader.setDaemon(true);
            reader.start();
        });
    }

    /** POSTs one JSON-RPC message, accepting JSON and SSE. */
    public static SseClient post(URI mcp, String sessionId, String body, Map<String, String> headers) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(mcp)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (sessionId != null) {
            builder.header("Mcp-Session-Id", sessionId);
        }
        headers.forEach(builder::header);
        return new SseClient(builder.build());
    }

    /** Opens the session's GET stream, optionally resuming after {@code lastEventId}. */
    public static SseClient get(URI mcp, String sessionId, String lastEventId) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(mcp)
                .header("Accept", "text/event-stream")
                .header("Mcp-Session-Id", sessionId)
                .GET();
        if (lastEventId != null) {
            builder.header("Last-Event-ID", lastEventId);
        }
        return new SseClient(builder.build());
    }

    /** A POST answered with plain JSON (an answer that came alone): its body is the one event, then the end. */
    private void readJson() {
        try (InputStream in = body) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            if (!text.isBlank()) {
                events.add(new Event(null, text));
            }
        } catch (IOException | RuntimeException e) {
            // connection dropped
        } finally {
            ended = true;
            events.add(END);
        }
    }

    private void read() {
        SseParser parser = new SseParser(e -> events.add(new Event(e.id(), e.data())), Integer.MAX_VALUE, () -> {
        });
        byte[] buffer = new byte[8192];
        try (InputStream in = body) {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                parser.feed(Arrays.copyOf(buffer, n));
            }
            parser.end();
        } catch (IOException | RuntimeException e) {
            // connection dropped
        } finally {
            ended = true;
            events.add(END);
        }
    }

    /** The HTTP status, once the head arrived. */
    public int status() {
        return head().statusCode();
    }

    public String header(String name) {
        return head().headers().firstValue(name).orElse(null);
    }

    private HttpResponse<InputStream> head() {
        try {
            return response.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("no response head", e);
        }
    }

    /** The next event, failing the test after {@code timeout}; a priming event (empty data) counts. */
    public Event next(Duration timeout) {
        head();
        try {
            Event event = events.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (event == null) {
                throw new AssertionError("no SSE event within " + timeout);
            }
            if (event == END) {
                events.add(END);
                throw new AssertionError("the stream ended");
            }
            return event;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The next event, or null when none comes within {@code timeout}. */
    public Event poll(Duration timeout) {
        try {
            response.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            return null; // not even the response head came
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        try {
            Event event = events.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (event == END) {
                events.add(END);
                return null;
            }
            return event;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** The next event that carries a message (priming events skipped). */
    public Event nextMessage(Duration timeout) {
        while (true) {
            Event event = next(timeout);
            if (!event.data().isEmpty()) {
                return event;
            }
        }
    }

    public boolean ended() {
        return ended;
    }

    @Override
    public void close() {
        InputStream in = body;
        if (in != null) {
            try {
                in.close();
            } catch (IOException e) {
                // already gone
            }
        }
        response.cancel(true);
    }
}
