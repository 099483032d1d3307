package dev.manifold.broker.backend;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
