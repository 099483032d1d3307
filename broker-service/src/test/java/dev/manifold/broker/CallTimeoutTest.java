package dev.manifold.broker;

import dev.manifold.contracts.JsonRpcErrors;
import dev.manifold.broker.testing.McpClient;
import dev.manifold.broker.testing.ProtocolBackends;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A call that outlives {@code call-timeout} gets -32010 (backend unavailable), and the broker really gives up on it: the backend's HTTP
 * request is closed (its pooled connection freed) and the backend is sent {@code notifications/cancelled} for it.
 * A pool of two connections would otherwise be used up by two hung calls, and every later call to that backend,
 * from any session, would time out too. Likewise a backend session whose initialize hangs is not kept for ever.
 */
@QuarkusTest
@WithTestResource(ProtocolBackends.class)
@TestProfile(CallTimeoutTest.ShortCalls.class)
class CallTimeoutTest {

    public static class ShortCalls implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "manifold.broker.call-timeout", "1s",
                    "manifold.broker.backend-pool-size", "2",
                    "manifold.broker.connect-timeout", "2s");
        }
    }

    @BeforeEach
    void backendIsReady() {
        await().atMost(Duration.ofSeconds(20)).until(() -> McpClient.initialize().toolNames().contains("one_hang"));
    }

    @AfterEach
    void initializeAnswersAgain() {
        ProtocolBackends.one.hangInitialize(false);
    }

    private static void assertTimedOut(Response response) {
        response.then().statusCode(200);
        assertEquals(JsonRpcErrors.BACKEND_UNAVAILABLE, response.jsonPath().getInt("error.code"), response.asString());
        assertEquals("Server 'one' is unavailable: backend-call timed out", response.jsonPath().getString("error.message"));
    }

    private static void assertEchoed(Response response, String message) {
        response.then().statusCode(200);
        assertEquals("echo from one: " + message, response.jsonPath().getString("result.content[0].text"), response.asString());
    }

    private static Set<String> backendIdsOfHangs() {
        return ProtocolBackends.one.received("tools/call").stream()
                .filter(r -> r.message().path("params").path("name").asText().equals("hang"))
                .map(r -> r.message().path("id").asText())
                .collect(Collectors.toSet());
    }

    private static Set<String> cancelledIds() {
        return ProtocolBackends.one.received("notifications/cancelled").stream()
                .map(r -> r.message().path("params").path("requestId").asText())
                .collect(Collectors.toSet());
    }

    @Test
    void timedOutCallsAreCancelledOnTheBackendAndFreeTheirPooledConnections() {
        McpClient client = McpClient.initialize();
        assertEchoed(client.call("one_echo", "warm"), "warm");
        Set<String> hangsBefore = backendIdsOfHangs();

        // one more than the pool holds: without cancellation the third would not even get a connection
        for (int i = 0; i < 3; i++) {
            assertTimedOut(client.call("one_hang", "h" + i));
        }

        Set<String> hangs = backendIdsOfHangs();
        hangs.removeAll(hangsBefore);
        assertEquals(3, hangs.size(), "every hang reached the backend");
        // the backend is told to stop each of them, by its own request id, and their HTTP exchanges are closed
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertTrue(cancelledIds().containsAll(hangs),
                "cancelled " + cancelledIds() + ", hung " + hangs));
        await().atMost(Duration.ofSeconds(10)).until(() -> ProtocolBackends.one.openHangs() == 0);

        // the backend is still served, in this session and in a new one
        assertEchoed(client.call("one_echo", "after"), "after");
        assertEchoed(McpClient.initialize().call("one_echo", "other"), "other");
    }

    @Test
    void aBackendSessionWhoseInitializeHangsIsOpenedAgainOnALaterCall() {
        ProtocolBackends.one.hangInitialize(true);
        McpClient client = McpClient.initialize();
        // the client's session with one cannot be opened: the call times out
        assertTimedOut(client.call("one_echo", "stuck"));

        ProtocolBackends.one.hangInitialize(false);
        // the hung opening is given up after connect-timeout and not kept: a later call opens a new session
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                assertEchoed(client.call("one_echo", "unstuck"), "unstuck"));
    }
}
