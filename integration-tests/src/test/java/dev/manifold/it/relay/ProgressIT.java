package dev.manifold.it.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.manifold.it.relay.RelayFixture.Target;
import dev.manifold.it.support.ProcessLogsOnFailure;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * notifications/progress of server-everything's {@code trigger-long-running-operation}, called with a progressToken
 * (the SDK's {@code onprogress}, which sets {@code _meta.progressToken} to the request's JSON-RPC id): one
 * notification per step, {@code progress} 1..steps, {@code total} = steps, every one before the result. Directly
 * first, then through the broker, which must pass them through with the client's own token.
 */
@ExtendWith(ProcessLogsOnFailure.class)
class ProgressIT {

    private static RelayFixture fixture;

    @BeforeAll
    static void start() {
        fixture = RelayFixture.start("ProgressIT", "alpha");
    }

    @AfterAll
    static void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    static List<Target> targets() {
        return fixture.targets("alpha");
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("targets")
    void progressNotificationsArriveInOrderBeforeTheResult(Target target) {
        RelayClient.Run run = new RelayClient().session(target.url())
                .callWithProgress(0, target.tool("trigger-long-running-operation"), Map.of("duration", 1, "steps", 5))
                .run();

        assertEquals("Long running operation completed. Duration: 1 seconds, Steps: 5.\n", run.resultText(0),
                () -> "tool result" + target.hint() + "\n" + run.explain());
        assertProgress(run, 0, 5, target);
        assertEquals(List.of(), run.clientErrors(), () -> "no progress notification with an unknown token (or any "
                + "other client error)" + target.hint() + "\n" + run.explain());
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("targets")
    void concurrentCallsInOneSessionEachGetTheirOwnProgress(Target target) {
        String tool = target.tool("trigger-long-running-operation");
        RelayClient.Run run = new RelayClient().session(target.url())
                .callWithProgress(0, tool, Map.of("duration", 1, "steps", 3))
                .callWithProgress(0, tool, Map.of("duration", 1, "steps", 4))
                .run();

        assertEquals("Long running operation completed. Duration: 1 seconds, Steps: 3.\n", run.resultText(0),
                () -> "first call's result" + target.hint() + "\n" + run.explain());
        assertEquals("Long running operation completed. Duration: 1 seconds, Steps: 4.\n", run.resultText(1),
                () -> "second call's result" + target.hint() + "\n" + run.explain());
        assertTrue(!run.call(0).path("progressToken").equals(run.call(1).path("progressToken")),
                () -> "the two calls use different progress tokens\n" + run.explain());
        assertProgress(run, 0, 3, target);
        assertProgress(run, 1, 4, target);
        assertEquals(List.of(), run.clientErrors(), () -> "no progress notification with an unknown token (or any "
                + "other client error)" + target.hint() + "\n" + run.explain());
    }

    /** Exactly {@code steps} notifications, progress 1..steps strictly increasing, total = steps, all before the result. */
    private static void assertProgress(RelayClient.Run run, int call, int steps, Target target) {
        JsonNode record = run.call(call);
        List<Integer> progress = new ArrayList<>();
        List<Integer> totals = new ArrayList<>();
        long resultSeq = record.path("resultSeq").asLong();
        long lastSeq = record.path("startSeq").asLong();
        for (JsonNode p : record.path("progress")) {
            progress.add(p.path("progress").asInt());
            totals.add(p.path("total").asInt());
            long seq = p.path("seq").asLong();
            assertTrue(seq > lastSeq && seq < resultSeq, () -> "call " + call + ": progress " + p
                    + " arrives after the call started and before its result (seq " + resultSeq + ")\n"
                    + run.explain());
            lastSeq = seq;
        }
        List<Integer> expected = new ArrayList<>();
        for (int i = 1; i <= steps; i++) {
            expected.add(i);
        }
        assertEquals(expected, progress, () -> "call " + call + ": the client's onprogress saw progress 1.." + steps
                + " in order, for its own token " + record.path("progressToken") + target.hint() + "\n"
                + run.explain());
        assertEquals(java.util.Collections.nCopies(steps, steps), totals, () -> "call " + call + ": total" + "\n"
                + run.explain());
        // On the wire: the notifications carry exactly the token the client sent, on the call's own POST stream.
        JsonNode token = record.path("progressToken");
        assertTrue(token.isNumber() || token.isTextual(), () -> "call " + call + " sent a progressToken\n"
                + run.explain());
        JsonNode callId = run.toolsCallId(call);
        List<JsonNode> wire = run.received(record.path("session").asInt(),
                m -> "notifications/progress".equals(m.path("method").asText())
                        && token.equals(m.at("/params/progressToken")));
        assertEquals(steps, wire.size(), () -> "call " + call + ": " + steps + " notifications/progress with the "
                + "client's token " + token + " on the wire" + target.hint() + "\n" + run.explain());
        wire.forEach(w -> assertTrue("POST".equals(w.path("stream").asText())
                        && w.path("postIds").toString().equals("[" + callId + "]"),
                () -> "progress travels on the SSE stream of its tools/call (id " + callId + "): " + w
                        + target.hint() + "\n" + run.explain()));
    }
}
