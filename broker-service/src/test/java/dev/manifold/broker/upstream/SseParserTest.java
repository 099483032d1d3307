package dev.manifold.broker.upstream;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SseParserTest {

    @Test
    void eventsSplitAcrossChunksAndLineEndingsAreReassembled() {
        List<String> events = new ArrayList<>();
        SseParser parser = new SseParser(events::add);
        byte[] stream = ("event: message\r\nid: 1\r\ndata: {\"a\":\"é漢\"}\r\n\r\n: comment\n"
                + "data: line1\ndata: line2\n\ndata: last").getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < stream.length; i++) {
            parser.feed(Arrays.copyOfRange(stream, i, i + 1)); // one byte at a time, splitting UTF-8 sequences
        }
        parser.end();
        assertEquals(List.of("{\"a\":\"é漢\"}", "line1\nline2", "last"), events);
    }

    @Test
    void anEventOverTheLimitStopsTheParserOnceButSmallerEventsAroundTheLimitPass() {
        List<String> events = new ArrayList<>();
        int[] overflows = {0};
        SseParser parser = new SseParser(events::add, 16, () -> overflows[0]++);
        parser.feed("data: 0123456789\n\n".getBytes(StandardCharsets.UTF_8)); // 10 bytes of data: under the limit
        parser.feed("data: 0123456789\ndata: abcdefghij\n\n".getBytes(StandardCharsets.UTF_8)); // 21 characters: over
        parser.feed("data: after\n\n".getBytes(StandardCharsets.UTF_8));
        parser.end();
        assertEquals(List.of("0123456789"), events, "the big event and everything after it are dropped");
        assertEquals(1, overflows[0]);
        assertTrue(parser.overflowed());
    }

    @Test
    void aLineThatNeverEndsOverflowsWithoutBeingBuffered() {
        int[] overflows = {0};
        SseParser parser = new SseParser(data -> { }, 1024, () -> overflows[0]++);
        byte[] chunk = "x".repeat(600).getBytes(StandardCharsets.UTF_8);
        parser.feed("data: ".getBytes(StandardCharsets.UTF_8));
        parser.feed(chunk);
        assertEquals(0, overflows[0], "600 bytes: still under the limit");
        parser.feed(chunk);
        assertEquals(1, overflows[0], "1206 bytes without a line end: over the limit");
        parser.feed(chunk);
        assertEquals(1, overflows[0], "reported once");
    }
}
