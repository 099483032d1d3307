package dev.manifold.broker.session;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A session keeps at most max-streams-per-session finished POST streams for resumption: one more drops the oldest
 * finished one, never a stream still answering a request.
 */
class ClientStreamsLimitTest {
    private final OfflineBroker broker = new OfflineBroker(Map.of("max-streams-per-session", "2"));

    @AfterEach
    void close() {
        broker.close();
    }

    @Test
    void theOldestFinishedStreamsAreDroppedBeyondTheLimit() {
        ClientStreams streams = new ClientStreams(broker.sessions, broker.supervisor, broker.config);
        ClientSession session = new ClientSession("s1", "2025-11-25", null, "anonymous", System.currentTimeMillis());
        EventStream first = streams.openPostStream(session);
        EventStream second = streams.openPostStream(session);
        EventStream open = streams.openPostStream(session);
        first.finish(); // no client attached: kept for resumption
        second.finish();

        EventStream third = streams.openPostStream(session);
        assertEquals(Set.of(second.id(), open.id(), third.id()), session.streams.keySet(),
                "one finished stream (the one opened first) made room; the unfinished one stays");
        third.finish();
        EventStream fourth = streams.openPostStream(session);
        assertEquals(Set.of(third.id(), open.id(), fourth.id()), session.streams.keySet());
    }
}
