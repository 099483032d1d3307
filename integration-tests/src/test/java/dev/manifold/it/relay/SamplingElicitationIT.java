package dev.manifold.it.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.manifold.it.relay.RelayFixture.Target;
import dev.manifold.it.support.ProcessLogsOnFailure;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Server-to-client requests made during a tools/call, answered by the official TypeScript SDK client: server-everything's
 * {@code trigger-sampling-request} (sampling/createMessage), {@code trigger-elicitation-request} (elicitation/create)
 * and {@code get-roots-list} (roots/list). Each scenario runs directly against server-everything first (proving the
 * scenario and the client), then through the broker, where the backend's request must reach the client and the
 * client's answer must reach the backend, so the tool result carries the client's answer.
 */
@ExtendWith(ProcessLogsOnFailure.class)
class SamplingElicitationIT {

    private static RelayFixture fixture;

    @BeforeAll
    static void start() {
        fixture = RelayFixture.start("SamplingElicitationIT", "alpha");
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
    void samplingRequestReachesTheClientAndItsAnswerReachesTheTool(Target target) {
        String prompt = "relay-sampling-" + target.label() + "-" + UUID.randomUUID();
        String tool = target.tool("trigger-sampling-request");

        RelayClient.Run run = new RelayClient().session(target.url())
                .call(0, tool, Map.of("prompt", prompt, "maxTokens", 37)).run();

        assertListed(run, tool, target);
        List<JsonNode> requests = run.serverRequests("sampling/createMessage");
        assertEquals(1, requests.size(), () -> "the client got exactly one sampling/createMessage during the call"
                + target.hint() + "\n" + run.explain());
        JsonNode params = requests.get(0).path("params");
        String expectedText = "Resource trigger-sampling-request context: " + prompt;
        assertEquals(expectedText, params.at("/messages/0/content/text").asText(),
                () -> "the sampling request carries the tool's prompt\n" + run.explain());
        assertEquals("user", params.at("/messages/0/role").asText(), run::explain);
        assertEquals(37, params.path("maxTokens").asInt(), run::explain);
        assertEquals("You are a helpful test server.", params.path("systemPrompt").asText(), run::explain);
        assertRelatedToTheCall(run, 0, "sampling/createMessage", target);

        String result = run.resultText(0);
        assertTrue(result.contains("LLM sampling result:"), () -> "tool result: " + result + target.hint());
        assertTrue(result.contains(RelayClient.SAMPLING_REPLY_PREFIX + expectedText),
                () -> "the tool result carries the client's sampling answer (which echoes the request), got: "
                        + result + target.hint() + "\n" + run.explain());
        assertTrue(result.contains("manifold-it-echo"), () -> "the answer's model is the client's: " + result);
        assertEquals(List.of(), run.clientErrors(), run::explain);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("targets")
    void elicitationRequestReachesTheClientAndTheAcceptedContentReachesTheTool(Target target) {
        String name = "Relay Tester " + target.label() + " " + UUID.randomUUID();
        Map<String, Object> content = new LinkedHashMap<>();
        content.put("name", name);
        content.put("check", true);
        content.put("email", "relay-it@manifold.invalid");
        content.put("integer", 17);
        content.put("number", 2.5);
        String tool = target.tool("trigger-elicitation-request");

        RelayClient.Run run = new RelayClient().session(target.url()).elicitationAccepts(content)
                .call(0, tool, Map.of()).run();

        assertListed(run, tool, target);
        List<JsonNode> requests = run.serverRequests("elicitation/create");
        assertEquals(1, requests.size(), () -> "the client got exactly one elicitation/create during the call"
                + target.hint() + "\n" + run.explain());
        JsonNode params = requests.get(0).path("params");
        assertEquals("Please provide inputs for the following fields:", params.path("message").asText(),
                run::explain);
        assertEquals("[\"name\"]", params.at("/requestedSchema/required").toString(), run::explain);
        assertEquals("email", params.at("/requestedSchema/properties/email/format").asText(), run::explain);
        assertRelatedToTheCall(run, 0, "elicitation/create", target);

        String result = run.resultText(0);
        assertTrue(result.contains("User provided the requested information!"),
                () -> "the tool saw action=accept, got: " + result + target.hint() + "\n" + run.explain());
        assertTrue(result.contains("- Name: " + name), () -> "the tool result carries the accepted name '" + name
                + "', got: " + result + target.hint());
        assertTrue(result.contains("- Favorite Integer: 17"), () -> "tool result: " + result);
        assertTrue(result.contains("- Agreed to terms: true"), () -> "tool result: " + result);
        assertEquals(List.of(), run.clientErrors(), run::explain);
    }

    /**
     * server-everything asks for the roots with roots/list unrelated to any request (so on the session's standalone
     * GET stream), once per session: 350ms after notifications/initialized, or when get-roots-list needs them first.
     * It then logs "Roots updated" (notifications/message, also on the GET stream).
     */
    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("targets")
    void rootsListReachesTheClientAndItsRootsReachTheTool(Target target) {
        String uri = "file:///manifold-it/" + target.label() + "/" + UUID.randomUUID();
        String tool = target.tool("get-roots-list");

        RelayClient.Run run = new RelayClient().session(target.url()).roots(uri, "relay-root")
                .call(0, tool, Map.of()).awaitNotifications("notifications/message", 1, 5000).run();

        assertListed(run, tool, target);
        assertEquals("open", run.session(0).path("getStream").asText(),
                () -> "the session's standalone GET stream is open" + target.hint() + "\n" + run.explain());
        assertFalse(run.serverRequests("roots/list").isEmpty(), () -> "the client got roots/list" + target.hint()
                + "\n" + run.explain());
        String result = run.resultText(0);
        assertTrue(result.contains("Current MCP Roots (1 total)") && result.contains("URI: " + uri),
                () -> "the tool result lists the client's root " + uri + ", got: " + result + target.hint()
                        + "\n" + run.explain());
        List<JsonNode> logs = run.notifications("notifications/message");
        assertTrue(logs.stream().anyMatch(n -> n.at("/params/data").asText()
                        .equals("Roots updated: 1 root(s) received from client")),
                () -> "the backend's logging notification about the roots reached the client" + target.hint() + "\n"
                        + run.explain());
        assertEquals(List.of(), run.clientErrors(), run::explain);
    }

    /** The tool is in the session's tools/list; through the broker this needs the client's capabilities upstream. */
    static void assertListed(RelayClient.Run run, String tool, Target target) {
        JsonNode session = run.session(0);
        assertFalse(session.has("error"), () -> "the session initialized\n" + run.explain());
        boolean listed = false;
        for (JsonNode name : session.path("tools")) {
            listed |= name.asText().equals(tool);
        }
        boolean found = listed;
        assertTrue(found, () -> tool + " is listed to a client that declared sampling, elicitation and roots"
                + (target.viaBroker() ? " [through the broker: server-everything registers trigger-sampling-request,"
                        + " trigger-elicitation-request and get-roots-list only on a session whose initialize "
                        + "declared the matching client capability, so the broker's backend sessions must declare "
                        + "them (the client's capabilities)]" : "")
                + "\n" + run.explain());
    }

    /**
     * The server-to-client request travelled on the SSE response stream of the client's tools/call POST, as
     * server-everything sends it (relatedRequestId = the tools/call), not on another stream.
     */
    static void assertRelatedToTheCall(RelayClient.Run run, int call, String method, Target target) {
        JsonNode callId = run.toolsCallId(call);
        List<JsonNode> received = run.received(run.call(call).path("session").asInt(),
                m -> method.equals(m.path("method").asText()));
        assertEquals(1, received.size(), () -> method + " on the wire once\n" + run.explain());
        JsonNode wire = received.get(0);
        assertEquals("POST", wire.path("stream").asText(), () -> method + " arrives on the SSE stream of the "
                + "tools/call POST it belongs to" + target.hint() + "\n" + run.explain());
        boolean ofThisCall = false;
        for (JsonNode id : wire.path("postIds")) {
            ofThisCall |= id.equals(callId);
        }
        boolean related = ofThisCall;
        assertTrue(related, () -> method + " arrives on the response stream of tools/call id " + callId
                + target.hint() + "\n" + run.explain());
    }
}
