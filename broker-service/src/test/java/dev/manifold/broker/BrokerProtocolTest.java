package dev.manifold.broker;

import dev.manifold.runtime.SseParser;
import dev.manifold.contracts.JsonRpcErrors;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.manifold.runtime.testing.FixtureMcpServer;
import dev.manifold.broker.testing.McpClient;
import dev.manifold.broker.testing.ProtocolBackends;
import dev.manifold.runtime.testing.SseClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URL;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The broker's protocol surface beyond tools, against real fixture backends ({@link ProtocolBackends}): prompts and
 * namespaced resources, completion, logging, subscriptions, server-to-client requests (relay, id mapping,
 * timeout), progress and cancellation, resumption with Last-Event-ID, stateless 2026-07-28 clients and backends,
 * and backends without a GET stream.
 */
@QuarkusTest
@WithTestResource(ProtocolBackends.class)
class BrokerProtocolTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TestHTTPResource("/mcp")
    URL mcpUrl;

    private URI mcp() {
        try {
            return mcpUrl.toURI();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @BeforeEach
    void backendsAreReady() {
        await().atMost(Duration.ofSeconds(20)).until(() -> McpClient.initialize().toolNames()
                .containsAll(List.of("one_ask", "two_ask", "flat_echo", "quiet_echo")));
    }

    /** Initializes a session declaring sampling, elicitation and roots; returns its id. */
    private static String session(String version) {
        Response response = given().contentType("application/json").accept("application/json, text/event-stream")
                .body("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"" + version + "\","
                        + "\"capabilities\":{\"sampling\":{},\"elicitation\":{},\"roots\":{\"listChanged\":true}},"
                        + "\"clientInfo\":{\"name\":\"protocol-test\",\"version\":\"1\"}}}")
                .post("/mcp");
        response.then().statusCode(200);
        String sid = response.header("Mcp-Session-Id");
        assertNotNull(sid);
        given().contentType("application/json").header("Mcp-Session-Id", sid)
                .body("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}").post("/mcp").then().statusCode(202);
        return sid;
    }

    /** Posts in a session; an SSE answer (an SSE backend's stream) is turned into its last message as JSON. */
    private static Response post(String sid, String body) {
        Response response = given().contentType("application/json").accept("application/json, text/event-stream")
                .header("Mcp-Session-Id", sid).body(body).post("/mcp");
        String type = response.getContentType();
        if (type == null || !type.startsWith("text/event-stream")) {
            return response;
        }
        List<String> messages = SseParser.messages(response.asString());
        assertFalse(messages.isEmpty(), "SSE answer without a message");
        String last = messages.get(messages.size() - 1);
        return new io.restassured.builder.ResponseBuilder().clone(response).setContentType("application/json").setBody(last).build();
    }

    private static JsonNode json(SseClient.Event event) {
        try {
            return MAPPER.readTree(event.data());
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + event.data(), e);
        }
    }

    private static String call(String id, String tool, String message) {
        return "{\"jsonrpc\":\"2.0\",\"id\":\"" + id + "\",\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool
                + "\",\"arguments\":{\"message\":\"" + message + "\"}}}";
    }

    private static JsonNode last(List<FixtureMcpServer.Received> received) {
        assertFalse(received.isEmpty(), "the backend received nothing");
        return received.get(received.size() - 1).message();
    }

    // --- capabilities, prompts, resources, completion, logging ------------------------------------------------

    @Test
    void capabilitiesAdvertiseWhatReadyBackendsOffer() {
        given().contentType("application/json")
                .body("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
                        + "\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}")
                .post("/mcp").then().statusCode(200)
                .body("result.capabilities.tools.listChanged", equalTo(true))
                .body("result.capabilities.prompts.listChanged", equalTo(true))
                .body("result.capabilities.resources.listChanged", equalTo(true))
                .body("result.capabilities.resources.subscribe", equalTo(true))
                .body("result.capabilities.completions", notNullValue())
                .body("result.capabilities.logging", notNullValue());
    }

    @Test
    void versionsAreNegotiatedWithClientAndBackendIndependentlyAndTheClientsCapabilitiesReachTheBackend() {
        // A 2025-03-26 client keeps its version; its backend session speaks the backend's own (latest) version.
        Response init = given().contentType("application/json").accept("application/json, text/event-stream")
                .body("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-03-26\","
                        + "\"capabilities\":{\"sampling\":{},\"experimental\":{\"versions-test\":{}}},"
                        + "\"clientInfo\":{\"name\":\"versions-test\",\"version\":\"1\"}}}")
                .post("/mcp");
        init.then().statusCode(200);
        String sid = init.header("Mcp-Session-Id");
        assertNotNull(sid);
        post(sid, call("v1", "one_echo", "versions")).then().statusCode(200)
                .body("result.content[0].text", containsString("versions"));
        FixtureMcpServer.Received forwarded = ProtocolBackends.one.received("tools/call").stream()
                .filter(r -> r.message().path("params").path("arguments").path("message").asText().equals("versions"))
                .findFirst().orElseThrow(() -> new AssertionError("the call never reached one"));
        assertEquals("2025-11-25", forwarded.versionHeader(), "the backend session's version");
        JsonNode backendInit = ProtocolBackends.one.received("initialize").stream()
                .filter(r -> r.message().path("params").path("protocolVersion").asText().equals("2025-11-25")
                        && r.message().path("params").path("capabilities").path("experimental").has("versions-test"))
                .reduce((a, b) -> b).map(FixtureMcpServer.Received::message)
                .orElseThrow(() -> new AssertionError("no backend initialize carried the client's capabilities"));
        assertTrue(backendInit.path("params").path("capabilities").has("sampling"), backendInit.toString());
        assertFalse(backendInit.path("params").path("capabilities").has("elicitation"),
                "only what the client declared: " + backendInit);
        // the client's own session still speaks 2025-03-26: a request with that header is accepted
        given().contentType("application/json").accept("application/json, text/event-stream")
                .header("Mcp-Session-Id", sid).header("MCP-Protocol-Version", "2025-03-26")
                .body("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}").post("/mcp").then().statusCode(200);
    }

    @Test
    void prefixedPromptsGetReachesTheOwnerWithTheOriginalName() {
        String sid = session("2025-06-18");
        post(sid, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"prompts/list\"}").then().statusCode(200)
                .body("result.prompts.name", equalTo(List.of("one_greet", "two_greet")))
                .body("result.prompts[1].description", equalTo("greet of two"));
        int twoBefore = ProtocolBackends.two.requests("prompts/get");
        post(sid, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"prompts/get\",\"params\":{\"name\":\"one_greet\",\"arguments\":{\"who\":\"Ann\"}}}")
                .then().statusCode(200)
                .body("id", equalTo(2))
                .body("result.messages[0].content.text", equalTo("Hello Ann from one"));
        assertEquals("greet", last(ProtocolBackends.one.received("prompts/get")).path("params").path("name").asText());
        assertEquals(twoBefore, ProtocolBackends.two.requests("prompts/get"));
        post(sid, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"prompts/get\",\"params\":{\"name\":\"greet\"}}")
                .then().statusCode(200).body("error.code", equalTo(-32602));
    }

    @Test
    void resourcesAreNamespacedAndReadFromTheirOwnerWithTheOriginalUri() {
        String sid = session("2025-06-18");
        post(sid, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/list\"}").then().statusCode(200)
                .body("result.resources.uri", equalTo(List.of("one+test://one/doc", "two+test://two/doc")));
        post(sid, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"resources/templates/list\"}").then().statusCode(200)
                .body("result.resourceTemplates.uriTemplate", equalTo(List.of("one+test://one/items/{id}", "two+test://two/items/{id}")));

        post(sid, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"resources/read\",\"params\":{\"uri\":\"two+test://two/doc\"}}")
                .then().statusCode(200)
                .body("result.contents[0].uri", equalTo("two+test://two/doc"))
                .body("result.contents[0].text", equalTo("two read test://two/doc"));
        assertEquals("test://two/doc", last(ProtocolBackends.two.received("resources/read")).path("params").path("uri").asText());

        // a URI built from a template, which no list names
        post(sid, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"resources/read\",\"params\":{\"uri\":\"one+test://one/items/42\"}}")
                .then().statusCode(200)
                .body("result.contents[0].uri", equalTo("one+test://one/items/42"))
                .body("result.contents[0].text", equalTo("one read test://one/items/42"));
        assertEquals("test://one/items/42", last(ProtocolBackends.one.received("resources/read")).path("params").path("uri").asText());

        post(sid, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"resources/read\",\"params\":{\"uri\":\"nobody+test://x\"}}")
                .then().statusCode(200).body("error.code", equalTo(JsonRpcErrors.RESOURCE_NOT_FOUND));
    }

    @Test
    void completionRefsAreRoutedAndRewritten() {
        String sid = session("2025-06-18");
        post(sid, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"completion/complete\",\"params\":{\"ref\":{\"type\":\"ref/prompt\","
                + "\"name\":\"two_greet\"},\"argument\":{\"name\":\"who\",\"value\":\"A\"}}}")
                .then().statusCode(200).body("result.completion.values", equalTo(List.of("two:ref/prompt:greet")));
        post(sid, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"completion/complete\",\"params\":{\"ref\":{\"type\":\"ref/resource\","
                + "\"uri\":\"one+test://one/items/{id}\"},\"argument\":{\"name\":\"id\",\"value\":\"4\"}}}")
                .then().statusCode(200).body("result.completion.values", equalTo(List.of("one:ref/resource:test://one/items/{id}")));
    }

    @Test
    void loggingSetLevelReachesEveryBackendOfferingLoggingAndAnswersEmpty() {
        String sid = session("2025-06-18");
        int one = ProtocolBackends.one.requests("logging/setLevel");
        int two = ProtocolBackends.two.requests("logging/setLevel");
        Response response = post(sid, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"logging/setLevel\",\"params\":{\"level\":\"debug\"}}");
        response.then().statusCode(200);
        assertEquals(Map.of(), response.jsonPath().getMap("result"));
        assertEquals(one + 1, ProtocolBackends.one.requests("logging/setLevel"));
        assertEquals(two + 1, ProtocolBackends.two.requests("logging/setLevel"));
        assertEquals(0, ProtocolBackends.flat.requests("logging/setLevel"));
    }

    @Test
    void subscriptionsUseTheOriginalUriAndUpdatesComeBackNamespaced() {
        String sid = session("2025-06-18");
        try (SseClient stream = SseClient.get(mcp(), sid, null)) {
            assertEquals(200, stream.status());
            post(sid, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/subscribe\",\"params\":{\"uri\":\"one+test://one/doc\"}}")
                    .then().statusCode(200).body("result", notNullValue());
            assertEquals("test://one/doc", last(ProtocolBackends.one.received("resources/subscribe")).path("params").path("uri").asText());
            // the client's backend GET stream opens asynchronously: push until the update comes through
            await().atMost(WAIT).until(() -> {
                ProtocolBackends.one.pushResourceUpdated("test://one/doc");
                SseClient.Event event;
                while ((event = stream.poll(Duration.ofMillis(200))) != null) {
                    JsonNode message = json(event);
                    if ("notifications/resources/updated".equals(message.path("method").asText())) {
                        assertEquals("one+test://one/doc", message.path("params").path("uri").asText());
                        return true;
                    }
                }
                return false;
            });
        }
    }

    // --- server-to-client requests, progress, cancellation ---------------------------------------------------

    @Test
    void serverRequestsOfTwoBackendsWithTheSameIdEachGetTheirOwnAnswer() {
        String sid = session("2025-06-18");
        try (SseClient a = SseClient.post(mcp(), sid, call("a", "one_ask", ""), Map.of());
             SseClient b = SseClient.post(mcp(), sid, call("b", "two_ask", ""), Map.of())) {
            JsonNode askA = json(a.nextMessage(WAIT));
            JsonNode askB = json(b.nextMessage(WAIT));
            assertEquals("sampling/createMessage", askA.path("method").asText());
            assertEquals("question from one", askA.path("params").path("messages").path(0).path("content").path("text").asText());
            assertEquals("question from two", askB.path("params").path("messages").path(0).path("content").path("text").asText());
            String idA = askA.path("id").asText();
            String idB = askB.path("id").asText();
            assertTrue(idA.startsWith("mfs-") && idB.startsWith("mfs-"), idA + " / " + idB);
            assertNotEquals(idA, idB, "both backends used id " + FixtureMcpServer.ASK_ID);

            post(sid, "{\"jsonrpc\":\"2.0\",\"id\":\"" + idB + "\",\"result\":{\"role\":\"assistant\",\"content\":{\"type\":\"text\",\"text\":\"for two\"},\"model\":\"m\"}}")
                    .then().statusCode(202);
            post(sid, "{\"jsonrpc\":\"2.0\",\"id\":\"" + idA + "\",\"result\":{\"role\":\"assistant\",\"content\":{\"type\":\"text\",\"text\":\"for one\"},\"model\":\"m\"}}")
                    .then().statusCode(202);

            JsonNode resultA = json(a.nextMessage(WAIT));
            JsonNode resultB = json(b.nextMessage(WAIT));
            assertEquals("a", resultA.path("id").asText());
            assertEquals("answered: for one", resultA.path("result").path("content").path(0).path("text").asText());
            assertEquals("b", resultB.path("id").asText());
            assertEquals("answered: for two", resultB.path("result").path("content").path(0).path("text").asText());
            JsonNode backendSaw = ProtocolBackends.one.answers().get(ProtocolBackends.one.answers().size() - 1);
            assertEquals(FixtureMcpServer.ASK_ID, backendSaw.path("id").asInt(), "the backend gets its own id back");
        }
        // an answer to an id the broker never issued
        post(sid, "{\"jsonrpc\":\"2.0\",\"id\":\"not-ours\",\"result\":{}}").then().statusCode(400);
    }

    @Test
    void aBackendsFirstRequestOnItsGetStreamReachesAClientWhoseStreamIsOpen() {
        // The client's GET stream is open before its first call opens the backend session. The backend asks
        // roots/list on its own GET stream during that first call: the broker must have opened that stream before
        // forwarding the call, or the backend drops the request and the call never completes.
        String sid = session("2025-06-18");
        try (SseClient standalone = SseClient.get(mcp(), sid, null);
             SseClient call = SseClient.post(mcp(), sid, call("r", "one_askget", ""), Map.of())) {
            assertEquals(200, standalone.status());
            JsonNode ask = json(standalone.nextMessage(WAIT));
            assertEquals("roots/list", ask.path("method").asText(), ask.toString());
            post(sid, "{\"jsonrpc\":\"2.0\",\"id\":" + ask.get("id") + ",\"result\":{\"roots\":[],\"content\":{\"text\":\"no roots\"}}}")
                    .then().statusCode(202);
            JsonNode result = json(call.nextMessage(WAIT));
            assertEquals("r", result.path("id").asText());
            assertEquals("answered: no roots", result.path("result").path("content").path(0).path("text").asText(), result.toString());
        }
    }

    @Test
    void anUnansweredServerRequestTimesOutWithAnErrorToTheBackendAndACancelToTheClient() {
        String sid = session("2025-06-18");
        try (SseClient standalone = SseClient.get(mcp(), sid, null);
             SseClient call = SseClient.post(mcp(), sid, call("t", "one_ask", ""), Map.of())) {
            assertEquals(200, standalone.status());
            JsonNode ask = json(call.nextMessage(WAIT));
            String exposed = ask.path("id").asText();
            // not answered: after manifold.broker.server-request-timeout (3s) the backend gets an error
            JsonNode result = json(call.nextMessage(WAIT));
            assertEquals("t", result.path("id").asText());
            assertTrue(result.path("result").path("isError").asBoolean(), result.toString());
            assertTrue(result.path("result").path("content").path(0).path("text").asText().contains("timed out"), result.toString());
            JsonNode error = ProtocolBackends.one.answers().stream().filter(m -> m.has("error")).reduce((x, y) -> y).orElseThrow();
            assertEquals(FixtureMcpServer.ASK_ID, error.path("id").asInt());

            JsonNode cancel = json(standalone.nextMessage(WAIT));
            assertEquals("notifications/cancelled", cancel.path("method").asText());
            assertEquals(exposed, cancel.path("params").path("requestId").asText());

            // The client answers anyway, too late: accepted and dropped, the backend already has its one answer.
            long answersToTheAsk = ProtocolBackends.one.answers().stream()
                    .filter(m -> m.path("id").asInt(-1) == FixtureMcpServer.ASK_ID).count();
            post(sid, "{\"jsonrpc\":\"2.0\",\"id\":\"" + exposed + "\",\"result\":{\"action\":\"decline\"}}")
                    .then().statusCode(202);
            // (a forwarded answer is acknowledged only once the backend took it, so nothing can still be on its way)
            assertEquals(answersToTheAsk, ProtocolBackends.one.answers().stream()
                    .filter(m -> m.path("id").asInt(-1) == FixtureMcpServer.ASK_ID).count(),
                    "the backend got no second answer: " + ProtocolBackends.one.answers());
        }
    }

    @Test
    void aBackendsCancellationOfItsRequestNamesTheIdTheClientSaw() {
        String sid = session("2025-06-18");
        try (SseClient call = SseClient.post(mcp(), sid, call("ac", "one_askcancel", ""), Map.of())) {
            JsonNode ask = json(call.nextMessage(WAIT));
            assertEquals("elicitation/create", ask.path("method").asText());
            JsonNode cancel = json(call.nextMessage(WAIT));
            assertEquals("notifications/cancelled", cancel.path("method").asText());
            assertEquals(ask.path("id").asText(), cancel.path("params").path("requestId").asText());
            assertEquals("askcancel from one", json(call.nextMessage(WAIT)).path("result").path("content").path(0).path("text").asText());
        }
    }

    @Test
    void unknownMethodsGoToTheOwnerOfTheNameTheyCarryElseMethodNotFound() {
        String sid = session("2025-06-18");
        post(sid, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vendor/thing\",\"params\":{}}").then().statusCode(200)
                .body("error.code", equalTo(-32601));
        post(sid, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"vendor/thing\",\"params\":{\"name\":\"two_echo\"}}").then().statusCode(200)
                .body("id", equalTo(2))
                .body("error.message", equalTo("Method not found: vendor/thing")); // the fixture's own answer
        assertEquals("echo", last(ProtocolBackends.two.received("vendor/thing")).path("params").path("name").asText());
    }

    @Test
    void aServerRequestDuringAStatelessClientsCallIsRefusedToTheBackend() {
        // A stateless client cannot answer sampling: the broker must refuse the backend's request so the call
        // completes (the fixture then answers the tool call with the error), instead of the call hanging until
        // manifold.broker.call-timeout.
        double answered = requestsCounted("stateless", "ok"); // stateless requests are counted under method="stateless"
        try (SseClient call = SseClient.post(mcp(), null, "{\"jsonrpc\":\"2.0\",\"id\":\"sa\",\"method\":\"tools/call\",\"params\":"
                + "{\"name\":\"one_ask\",\"arguments\":{}," + META + "}}",
                Map.of("MCP-Protocol-Version", "2026-07-28", "Mcp-Method", "tools/call", "Mcp-Name", "one_ask"))) {
            SseClient.Event event = call.poll(WAIT);
            assertNotNull(event, "no answer within " + WAIT + ": the backend's sampling request was neither relayed nor refused");
            JsonNode message = json(event);
            assertFalse(message.has("method") && message.has("id"),
                    "a server-to-client request reached a stateless client: " + message);
            assertEquals("sa", message.path("id").asText(), message.toString());
            assertTrue(message.path("result").path("isError").asBoolean(), message.toString());
            // The answer ends the SSE response: a stateless client has no session to resume it from.
            assertNull(call.poll(WAIT), "no event after the answer");
            assertTrue(call.ended(), "the SSE response ended after the answer");
        }
        await().atMost(WAIT).untilAsserted(() -> assertEquals(answered + 1, requestsCounted("stateless", "ok"),
                "the streamed stateless call is counted in manifold_broker_requests_total once it completes"));
    }

    @Test
    void progressTokensAreMappedToTheBackendAndBack() {
        String sid = session("2025-06-18");
        try (SseClient call = SseClient.post(mcp(), sid, "{\"jsonrpc\":\"2.0\",\"id\":\"p\",\"method\":\"tools/call\",\"params\":"
                + "{\"name\":\"one_progress\",\"arguments\":{},\"_meta\":{\"progressToken\":\"tok-1\"}}}", Map.of())) {
            JsonNode progress = json(call.nextMessage(WAIT));
            assertEquals("notifications/progress", progress.path("method").asText());
            assertEquals("tok-1", progress.path("params").path("progressToken").asText());
            JsonNode result = json(call.nextMessage(WAIT));
            assertEquals("progress from one", result.path("result").path("content").path(0).path("text").asText());
        }
        JsonNode sent = last(ProtocolBackends.one.received("tools/call").stream()
                .filter(r -> "progress".equals(r.message().path("params").path("name").asText())).toList());
        assertTrue(sent.path("params").path("_meta").path("progressToken").asText().startsWith("mf-p-"), sent.toString());
    }

    @Test
    void clientCancellationReachesTheBackendWithTheBackendsRequestId() {
        String sid = session("2025-06-18");
        try (SseClient call = SseClient.post(mcp(), sid, call("h1", "one_hang", ""), Map.of())) {
            await().atMost(WAIT).until(() -> ProtocolBackends.one.lastCallId("hang") != null);
            JsonNode backendId = ProtocolBackends.one.lastCallId("hang");
            post(sid, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":\"h1\",\"reason\":\"user\"}}")
                    .then().statusCode(202);
            await().atMost(WAIT).until(() -> ProtocolBackends.one.received("notifications/cancelled").stream()
                    .anyMatch(r -> backendId.equals(r.message().path("params").path("requestId"))));
            JsonNode answer = json(call.nextMessage(WAIT));
            assertEquals("h1", answer.path("id").asText());
            assertEquals(-32800, answer.path("error").path("code").asInt());
        }
    }

    // --- resumption ------------------------------------------------------------------------------------------

    @Test
    void aDroppedPostStreamIsResumedWithLastEventId() {
        String sid = session("2025-11-25");
        String primingId;
        String logId;
        try (SseClient call = SseClient.post(mcp(), sid, call("s", "one_slow", ""), Map.of("MCP-Protocol-Version", "2025-11-25"))) {
            SseClient.Event priming = call.next(WAIT);
            assertEquals("", priming.data(), "2025-11-25 streams start with a priming event");
            assertNotNull(priming.id());
            primingId = priming.id();
            SseClient.Event log = call.nextMessage(WAIT);
            assertEquals("notifications/message", json(log).path("method").asText());
            logId = log.id();
            assertNotNull(logId);
            assertEquals(primingId.substring(0, primingId.indexOf('.')), logId.substring(0, logId.indexOf('.')), "one stream");
        } // the connection drops here, before the answer
        await().atMost(WAIT).until(() -> ProtocolBackends.one.slowPending() == 1);

        try (SseClient resumed = SseClient.get(mcp(), sid, primingId)) {
            assertEquals(200, resumed.status());
            SseClient.Event replayed = resumed.nextMessage(WAIT);
            assertEquals(logId, replayed.id(), "the events after Last-Event-ID are replayed");
            ProtocolBackends.one.releaseSlow();
            SseClient.Event answer = resumed.nextMessage(WAIT);
            JsonNode response = json(answer);
            assertEquals("s", response.path("id").asText());
            assertEquals("slow from one: done", response.path("result").path("content").path(0).path("text").asText());
        }
    }

    @Test
    void aBackendStreamThatEndsBeforeTheAnswerIsResumedWithLastEventId() {
        String sid = session("2025-11-25");
        int before = ProtocolBackends.one.resumes();
        try (SseClient call = SseClient.post(mcp(), sid, call("d", "one_drop", ""), Map.of("MCP-Protocol-Version", "2025-11-25"))) {
            JsonNode log = json(call.nextMessage(WAIT));
            assertEquals("notifications/message", log.path("method").asText());
            JsonNode answer = json(call.nextMessage(WAIT));
            assertEquals("d", answer.path("id").asText());
            assertEquals("drop from one: resumed", answer.path("result").path("content").path(0).path("text").asText());
        }
        assertEquals(before + 1, ProtocolBackends.one.resumes());
    }

    // --- stateless 2026-07-28 clients ------------------------------------------------------------------------

    private static RequestSpecification stateless(String method, String name) {
        RequestSpecification spec = given().contentType("application/json").accept("application/json, text/event-stream")
                .header("MCP-Protocol-Version", "2026-07-28");
        if (method != null) {
            spec = spec.header("Mcp-Method", method);
        }
        if (name != null) {
            spec = spec.header("Mcp-Name", name);
        }
        return spec;
    }

    private static final String META = "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\"}";

    @Test
    void statelessServerDiscoverIsAnsweredLocally() {
        stateless("server/discover", null)
                .body("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"server/discover\",\"params\":{" + META + "}}")
                .post("/mcp").then().statusCode(200)
                .header("Mcp-Session-Id", nullValue())
                .body("id", equalTo(1))
                .body("result.resultType", equalTo("complete"))
                .body("result.supportedVersions", hasItem("2026-07-28"))
                .body("result.supportedVersions", hasItem("2025-11-25"))
                .body("result.capabilities.tools", notNullValue())
                .body("result.capabilities.prompts", notNullValue())
                .body("result.serverInfo.name", equalTo("manifold-broker"));
    }

    @Test
    void statelessHeaderMismatchesAre400With32020() {
        String callOne = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"one_echo\",\"arguments\":{},"
                + META + "}}";
        stateless("tools/list", "one_echo").body(callOne).post("/mcp").then().statusCode(400).body("error.code", equalTo(-32020));
        stateless(null, "one_echo").body(callOne).post("/mcp").then().statusCode(400).body("error.code", equalTo(-32020));
        stateless("tools/call", null).body(callOne).post("/mcp").then().statusCode(400).body("error.code", equalTo(-32020));
        stateless("tools/call", "two_echo").body(callOne).post("/mcp").then().statusCode(400).body("error.code", equalTo(-32020));
        // header and _meta disagree about the version
        given().contentType("application/json").header("MCP-Protocol-Version", "2025-06-18")
                .header("Mcp-Method", "tools/call").header("Mcp-Name", "one_echo")
                .body(callOne).post("/mcp").then().statusCode(400).body("error.code", equalTo(-32020));
    }

    @Test
    void statelessUnsupportedVersionIs400With32022() {
        given().contentType("application/json").header("MCP-Protocol-Version", "2025-06-18").header("Mcp-Method", "server/discover")
                .body("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"server/discover\"}")
                .post("/mcp").then().statusCode(400)
                .body("error.code", equalTo(-32022))
                .body("error.data.requested", equalTo("2025-06-18"))
                .body("error.data.supported", hasItem("2026-07-28"));
    }

    @Test
    void aSessionlessRequestInAStatefulVersionIs400With32022() {
        // the version in the header
        given().contentType("application/json").accept("application/json, text/event-stream")
                .header("MCP-Protocol-Version", "2025-06-18")
                .body("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}")
                .post("/mcp").then().statusCode(400)
                .body("id", equalTo(1))
                .body("error.code", equalTo(-32022))
                .body("error.message", containsString("2025-06-18"))
                .body("error.data.requested", equalTo("2025-06-18"))
                .body("error.data.supported", hasItem("2025-06-18"))
                .body("error.data.supported", hasItem("2026-07-28"));
        // the version in params._meta
        given().contentType("application/json").accept("application/json, text/event-stream")
                .body("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"one_echo\","
                        + "\"arguments\":{},\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2025-06-18\"}}}")
                .post("/mcp").then().statusCode(400)
                .body("error.code", equalTo(-32022))
                .body("error.data.requested", equalTo("2025-06-18"));
        // a version the broker does not know at all
        given().contentType("application/json").accept("application/json, text/event-stream")
                .header("MCP-Protocol-Version", "1999-01-01")
                .body("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\"}")
                .post("/mcp").then().statusCode(400)
                .body("error.code", equalTo(-32022))
                .body("error.data.requested", equalTo("1999-01-01"));
        // no version named: the session is what is missing
        given().contentType("application/json").accept("application/json, text/event-stream")
                .body("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/list\"}")
                .post("/mcp").then().statusCode(400)
                .body("error.code", equalTo(-32600))
                .body("error.message", containsString("Mcp-Session-Id"));
        // initialize with the header (some clients send it on every request) still opens a session
        given().contentType("application/json").accept("application/json, text/event-stream")
                .header("MCP-Protocol-Version", "2025-06-18")
                .body("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
                        + "\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}")
                .post("/mcp").then().statusCode(200)
                .header("Mcp-Session-Id", notNullValue())
                .body("result.protocolVersion", equalTo("2025-06-18"));
    }

    @Test
    void statelessToolsCallAndListsWorkWithResultType() {
        stateless("tools/call", "one_echo")
                .body("{\"jsonrpc\":\"2.0\",\"id\":\"c\",\"method\":\"tools/call\",\"params\":{\"name\":\"one_echo\","
                        + "\"arguments\":{\"message\":\"hi\"}," + META + "}}")
                .post("/mcp").then().statusCode(200)
                .header("Mcp-Session-Id", nullValue())
                .body("id", equalTo("c"))
                .body("result.resultType", equalTo("complete"))
                .body("result.content[0].text", equalTo("echo from one: hi"));
        stateless("tools/call", "flat_echo")
                .body("{\"jsonrpc\":\"2.0\",\"id\":\"f\",\"method\":\"tools/call\",\"params\":{\"name\":\"flat_echo\","
                        + "\"arguments\":{\"message\":\"hi\"}," + META + "}}")
                .post("/mcp").then().statusCode(200)
                .body("result.resultType", equalTo("complete"))
                .body("result.content[0].text", equalTo("echo from flat: hi"));
        stateless("tools/list", null)
                .body("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\",\"params\":{" + META + "}}")
                .post("/mcp").then().statusCode(200)
                .body("result.resultType", equalTo("complete"))
                .body("result.tools.name", hasItem("one_ask"));
        stateless("resources/read", "one+test://one/doc")
                .body("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"resources/read\",\"params\":{\"uri\":\"one+test://one/doc\"," + META + "}}")
                .post("/mcp").then().statusCode(200)
                .body("result.resultType", equalTo("complete"))
                .body("result.contents[0].uri", equalTo("one+test://one/doc"));
        stateless("ping", null)
                .body("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"ping\",\"params\":{" + META + "}}")
                .post("/mcp").then().statusCode(200).body("error.code", equalTo(-32601));
    }

    // --- stateless backends, backends without GET -----------------------------------------------------------

    @Test
    void aStatelessBackendIsListedAndCallableFromASessionClient() {
        McpClient client = McpClient.initialize();
        assertTrue(client.toolNames().contains("flat_echo"));
        client.call("flat_echo", "x").then().statusCode(200)
                .body("result.content[0].text", equalTo("echo from flat: x"));
        assertFalse(ProtocolBackends.flat.received("initialize").isEmpty(), "initialize was tried first");
        assertFalse(ProtocolBackends.flat.received("server/discover").isEmpty());
        List<FixtureMcpServer.Received> calls = ProtocolBackends.flat.received("tools/call");
        FixtureMcpServer.Received sent = calls.get(calls.size() - 1);
        assertEquals("tools/call", sent.methodHeader());
        assertEquals("echo", sent.nameHeader());
        assertEquals(null, sent.sessionId());
        assertEquals("2026-07-28", sent.message().path("params").path("_meta").path("io.modelcontextprotocol/protocolVersion").asText());
    }

    @Test
    void aBackendWithoutGetStreamIsTolerated() {
        String sid = session("2025-06-18");
        try (SseClient stream = SseClient.get(mcp(), sid, null)) {
            assertEquals(200, stream.status());
            post(sid, call("q", "quiet_echo", "still")).then().statusCode(200)
                    .body("result.content[0].text", equalTo("echo from quiet: still"));
            post(sid, call("q2", "quiet_echo", "again")).then().statusCode(200)
                    .body("result.content[0].text", equalTo("echo from quiet: again"));
            assertFalse(stream.ended(), "the client's GET stream stays open");
            assertEquals(0, ProtocolBackends.quiet.openStreams());
        }
    }

    /** The value of manifold_broker_requests_total for one method and outcome (0 before the first one). */
    private static double requestsCounted(String method, String outcome) {
        String prefix = "manifold_broker_requests_total{method=\"" + method + "\",outcome=\"" + outcome + "\"} ";
        return given().get("/q/metrics").then().statusCode(200).extract().asString().lines()
                .filter(l -> l.startsWith(prefix))
                .mapToDouble(l -> Double.parseDouble(l.substring(prefix.length()).trim()))
                .findFirst().orElse(0);
    }
}
