package dev.manifold.runtime;

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
        SseParser parser = SseParser.ofData(events::add);
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
        SseParser parser = SseParser.ofData(events::add, 16, () -> overflows[0]++);
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
        SseParser parser = SseParser.ofData(data -> { }, 1024, () -> overflows[0]++);
        byte[] chunk = "x".repeat(600).getBytes(StandardCharsets.UTF_8);
        parser.feed("data: ".getBytes(StandardCharsets.UTF_8));
        parser.feed(chunk);
        assertEquals(0, overflows[0], "600 bytes: still under the limit");
        parser.feed(chunk);
        assertEquals(1, overflows[0], "1206 bytes without a line end: over the limit");
        parser.feed(chunk);
        assertEquals(1, overflows[0], "reported once");
    }

    @Test
    void eachEventCarriesItsOwnIdAndAPrimingEventHasEmptyData() {
        List<SseParser.Event> events = new ArrayList<>();
        SseParser parser = new SseParser(events::add, 1024, () -> { });
        parser.feed("id: s1.1\nretry: 1500\ndata: \n\nid: s1.2\nevent: message\ndata: {}\n\n: keep-alive\n\n"
                .getBytes(StandardCharsets.UTF_8));
        parser.feed("data: no id\n\nid: only-an-id\n\n".getBytes(StandardCharsets.UTF_8));
        parser.end();
        assertEquals(List.of(new SseParser.Event("s1.1", ""), new SseParser.Event("s1.2", "{}"),
                new SseParser.Event(null, "no id")), events, "an event without a data line is not dispatched");
        assertEquals("only-an-id", parser.lastEventId(), "but its id is where a resumption starts");
        assertEquals(1500, parser.retryMillis());
    }

    @Test
    void messagesOfAWholeBodySkipPrimingEvents() {
        assertEquals(List.of("{\"id\":1}", "{\"id\":2}"),
                SseParser.messages("id: a\ndata: \n\nevent: message\ndata: {\"id\":1}\n\ndata: {\"id\":2}"));
    }
}
