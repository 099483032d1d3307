package dev.manifold.broker.session;

import dev.manifold.runtime.testing.SseClient;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** EventStream against real HTTP connections: ids, replay after Last-Event-ID, the replay limit, finishing. */
class EventStreamTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static Vertx vertx;
    private static HttpServer server;
    private static final AtomicReference<EventStream> current = new AtomicReference<>();
    private static final AtomicLong after = new AtomicLong();

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        server = vertx.createHttpServer().requestHandler(request -> {
            request.response().setStatusCode(200).setChunked(true).putHeader("Content-Type", "text/event-stream");
            request.response().write(": open\n\n");
            current.get().attach(request.response(), after.get());
        }).listen(0).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() throws Exception {
        server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static SseClient connect(EventStream stream, long afterSeq) {
        current.set(stream);
        after.set(afterSeq);
        SseClient client = SseClient.get(URI.create("http://127.0.0.1:" + server.actualPort() + "/"), "s", null);
        assertEquals(200, client.status());
        return client;
    }

    @Test
    void eventsCarryStreamIdsAndLiveEventsFlow() {
        EventStream stream = new EventStream("p1", 10);
        try (SseClient client = connect(stream, 0)) {
            await().atMost(WAIT).until(stream::connected);
            stream.send("{\"n\":1}");
            stream.prime(500);
            stream.send("{\"n\":2}");
            SseClient.Event first = client.next(WAIT);
            assertEquals("p1.1", first.id());
            assertEquals("{\"n\":1}", first.data());
            assertEquals(new SseClient.Event("p1.2", ""), client.next(WAIT));
            assertEquals(new SseClient.Event("p1.3", "{\"n\":2}"), client.next(WAIT));
        }
    }

    @Test
    void attachReplaysWhatCameAfterTheLastEventIdWithinTheLimitThenEnds() {
        EventStream stream = new EventStream("p2", 2);
        stream.prime(0);
        for (int i = 2; i <= 5; i++) {
            stream.send("{\"n\":" + i + "}");
        }
        assertFalse(stream.finish(), "nobody was connected");
        assertTrue(stream.finished());
        try (SseClient client = connect(stream, 1)) {
            // only the last two are kept
            assertEquals(new SseClient.Event("p2.4", "{\"n\":4}"), client.next(WAIT));
            assertEquals(new SseClient.Event("p2.5", "{\"n\":5}"), client.next(WAIT));
            await().atMost(WAIT).until(client::ended);
        }
    }

    @Test
    void finishEndsAConnectedClientsStream() {
        EventStream stream = new EventStream("p3", 10);
        try (SseClient client = connect(stream, 0)) {
            await().atMost(WAIT).until(stream::connected);
            stream.send("{\"last\":true}");
            assertTrue(stream.finish());
            assertEquals("p3.1", client.next(WAIT).id());
            await().atMost(WAIT).until(client::ended);
        }
    }

    @Test
    void aSecondConnectionTakesOverAndGetsTheRest() {
        EventStream stream = new EventStream("g", 10);
        try (SseClient first = connect(stream, 0)) {
            await().atMost(WAIT).until(stream::connected);
            stream.send("{\"n\":1}");
            assertEquals("g.1", first.next(WAIT).id());
            try (SseClient second = connect(stream, 1)) {
                await().atMost(WAIT).until(first::ended);
                stream.send("{\"n\":2}");
                assertEquals(new SseClient.Event("g.2", "{\"n\":2}"), second.next(WAIT));
            }
        }
    }

    @Test
    void seqOfParsesOnlyIdsOfTheNamedStream() {
        assertEquals(7, EventStream.seqOf("p1.7", "p1"));
        assertEquals(-1, EventStream.seqOf("p10.7", "p1"));
        assertEquals(-1, EventStream.seqOf("p1.x", "p1"));
        assertEquals(-1, EventStream.seqOf("p1", "p1"));
        assertEquals(-1, EventStream.seqOf(null, "p1"));
        assertEquals(3, EventStream.seqOf("g.3", "g"));
    }
}
