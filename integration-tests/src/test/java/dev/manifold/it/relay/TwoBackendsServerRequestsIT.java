package dev.manifold.it.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.manifold.it.support.ProcessLogsOnFailure;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two server-everything backends issue sampling/createMessage at the same time, each with the same JSON-RPC id (a
 * fresh server-everything session numbers its requests from 0). The client holds its answers until all of them are
 * pending (a barrier), and each answer echoes its request's prompt, which differs per call: a misrouted answer shows
 * up as the wrong prompt in a tool result. {@link #directlyBothBackendsUseTheSameIdAtTheSameTime} proves the
 * collision is real without the broker; the broker variants require that every answer reaches its own backend.
 */
@ExtendWith(ProcessLogsOnFailure.class)
class TwoBackendsServerRequestsIT {

    private static final String SAMPLING_TOOL = "trigger-sampling-request";
    private static final String CONTEXT = "Resource trigger-sampling-request context: ";

    private static RelayFixture fixture;

    @BeforeAll
    static void start() {
        fixture = RelayFixture.start("TwoBackendsServerRequestsIT", "alpha", "beta");
    }

    @AfterAll
    static void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    @Test
    void directlyBothBackendsUseTheSameIdAtTheSameTime() {
        String alphaPrompt = prompt("alpha");
        String betaPrompt = prompt("beta");

        RelayClient.Run run = new RelayClient()
                .session(fixture.backend("alpha").url())
                .session(fixture.backend("beta").url())
                .samplingOnly()
                .samplingBarrier(2)
                .call(0, SAMPLING_TOOL, Map.of("prompt", alphaPrompt))
                .call(1, SAMPLING_TOOL, Map.of("prompt", betaPrompt))
                .run();

        assertAnswered(run, 0, alphaPrompt, betaPrompt, "");
        assertAnswered(run, 1, betaPrompt, alphaPrompt, "");
        List<JsonNode> requests = run.serverRequests("sampling/createMessage");
        assertEquals(2, requests.size(), run::explain);
        requests.forEach(r -> assertFalse(r.path("barrierTimedOut").asBoolean(false),
                () -> "both sampling requests were pending at the same time\n" + run.explain()));
        assertEquals(requests.get(0).path("id"), requests.get(1).path("id"),
                () -> "both backends numbered their sampling request alike (the collision the broker must resolve)\n"
                        + run.explain());
        assertEquals(0, requests.get(0).path("id").asInt(-1), () -> "a fresh session's first server-to-client "
                + "request is id 0\n" + run.explain());
    }

    @Test
    void brokerOneSessionCallsBothBackendsAtOnceAndEachAnswerReachesItsOwnBackend() {
        String alphaPrompt = prompt("alpha");
        String betaPrompt = prompt("beta");

        RelayClient.Run run = new RelayClient()
                .session(fixture.broker().mcpUrl())
                .samplingOnly()
                .samplingBarrier(2)
                .call(0, "alpha_" + SAMPLING_TOOL, Map.of("prompt", alphaPrompt))
                .call(0, "beta_" + SAMPLING_TOOL, Map.of("prompt", betaPrompt))
                .run();

        String hint = brokerHint();
        assertToolsListed(run, 0, hint);
        assertAnswered(run, 0, alphaPrompt, betaPrompt, hint);
        assertAnswered(run, 1, betaPrompt, alphaPrompt, hint);
        List<JsonNode> requests = run.serverRequests("sampling/createMessage");
        assertEquals(2, requests.size(), () -> "the client got both backends' sampling requests" + hint + "\n"
                + run.explain());
        requests.forEach(r -> assertFalse(r.path("barrierTimedOut").asBoolean(false),
                () -> "both sampling requests were pending at the same time" + hint + "\n" + run.explain()));
        assertTrue(!requests.get(0).path("id").equals(requests.get(1).path("id")),
                () -> "the two pending server-to-client requests of one client session have distinct JSON-RPC ids "
                        + "(the broker rewrites the backends' ids, which are equal)" + hint + "\n" + run.explain());
        Set<String> texts = new HashSet<>();
        requests.forEach(r -> texts.add(r.at("/params/messages/0/content/text").asText()));
        assertEquals(Set.of(CONTEXT + alphaPrompt, CONTEXT + betaPrompt), texts, run::explain);
        assertEquals(List.of(), run.clientErrors(), run::explain);
    }

    @Test
    void brokerTwoSessionsCallBothBackendsAtOnceAndEachAnswerReachesItsOwnBackendAndSession() {
        String[][] prompts = {{prompt("s0-alpha"), prompt("s0-beta")}, {prompt("s1-alpha"), prompt("s1-beta")}};

        RelayClient.Run run = new RelayClient()
                .session(fixture.broker().mcpUrl())
                .session(fixture.broker().mcpUrl())
                .samplingOnly()
                .samplingBarrier(4)
                .call(0, "alpha_" + SAMPLING_TOOL, Map.of("prompt", prompts[0][0]))
                .call(0, "beta_" + SAMPLING_TOOL, Map.of("prompt", prompts[0][1]))
                .call(1, "alpha_" + SAMPLING_TOOL, Map.of("prompt", prompts[1][0]))
                .call(1, "beta_" + SAMPLING_TOOL, Map.of("prompt", prompts[1][1]))
                .run();

        String hint = brokerHint();
        assertToolsListed(run, 0, hint);
        assertToolsListed(run, 1, hint);
        for (int call = 0; call < 4; call++) {
            String own = prompts[call / 2][call % 2];
            for (int other = 0; other < 4; other++) {
                if (other != call) {
                    assertAnswered(run, call, own, prompts[other / 2][other % 2], hint);
                }
            }
        }
        assertEquals(4, run.serverRequests("sampling/createMessage").size(), () -> "the clients got all four "
                + "sampling requests" + hint + "\n" + run.explain());
        for (int session = 0; session < 2; session++) {
            int s = session;
            Set<String> texts = new HashSet<>();
            run.serverRequests("sampling/createMessage", s)
                    .forEach(r -> texts.add(r.at("/params/messages/0/content/text").asText()));
            assertEquals(Set.of(CONTEXT + prompts[s][0], CONTEXT + prompts[s][1]), texts,
                    () -> "session " + s + " got exactly the sampling requests of its own calls" + hint + "\n"
                            + run.explain());
        }
        run.serverRequests("sampling/createMessage").forEach(r -> assertFalse(
                r.path("barrierTimedOut").asBoolean(false),
                () -> "all four sampling requests were pending at the same time" + hint + "\n" + run.explain()));
        assertEquals(List.of(), run.clientErrors(), run::explain);
    }

    /** The call's tool result carries the client's answer to its own prompt, and not the answer to {@code other}. */
    private static void assertAnswered(RelayClient.Run run, int call, String own, String other, String hint) {
        String result = run.resultText(call);
        assertTrue(result.contains(RelayClient.SAMPLING_REPLY_PREFIX + CONTEXT + own + "\""),
                () -> "call " + call + " (" + run.call(call).path("tool").asText() + ") returns the answer to its own "
                        + "prompt " + own + ", got: " + result + hint + "\n" + run.explain());
        assertFalse(result.contains(other), () -> "call " + call + " got the answer meant for " + other
                + " (an answer reached the wrong backend): " + result + hint + "\n" + run.explain());
    }

    private static void assertToolsListed(RelayClient.Run run, int session, String hint) {
        Set<String> names = new HashSet<>();
        run.session(session).path("tools").forEach(n -> names.add(n.asText()));
        assertTrue(names.containsAll(List.of("alpha_" + SAMPLING_TOOL, "beta_" + SAMPLING_TOOL)),
                () -> "session " + session + " lists alpha_" + SAMPLING_TOOL + " and beta_" + SAMPLING_TOOL
                        + " [server-everything registers it only for a session whose initialize declared "
                        + "`sampling`: the broker's backend sessions must declare the client's capabilities]"
                        + hint + "\n" + run.explain());
    }

    private static String brokerHint() {
        return "\n[through the broker: each backend's sampling/createMessage must reach the client session whose "
                + "tools/call caused it, with an id unique in that session, and the client's answer must go back to "
                + "that backend with the backend's original id (issue 6)]";
    }

    private static String prompt(String label) {
        return "two-backends-" + label + "-" + UUID.randomUUID();
    }
}
