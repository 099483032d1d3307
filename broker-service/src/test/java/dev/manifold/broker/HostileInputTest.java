package dev.manifold.broker;

import dev.manifold.broker.testing.FixtureBackends;
import dev.manifold.broker.testing.McpClient;
import dev.manifold.runtime.testing.HostileInput;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 10,000 generated hostile requests against the broker in anonymous mode (standalone, the fixture backends):
 * bad and truncated JSON, wrong types, huge ids, deep nesting, batches, unknown methods, bad, duplicated and
 * oversized headers, bad and stale session ids, wrong methods and paths, form bodies. No answer is a 5xx; every
 * 4xx on /mcp carries a JSON-RPC error; threads and heap stay bounded; a normal client is served all along, and the
 * broker is ready afterwards. The OAuth-mode run is in OAuthModeTest.
 */
@QuarkusTest
@WithTestResource(FixtureBackends.class)
class HostileInputTest {
    static final int REQUESTS = 10_000;

    @Test
    void tenThousandHostileRequestsGetNo5xxAndLeaveTheBrokerServing() throws Exception {
        McpClient live = McpClient.initialize();
        McpClient gone = McpClient.initialize();
        given().header("Mcp-Session-Id", gone.sessionId()).delete("/mcp").then().statusCode(200);
        HostileInput.Target target = new HostileInput.Target("localhost", RestAssured.port, "/mcp", Map.of(),
                live::sessionId, gone::sessionId);
        McpClient normal = McpClient.initialize();
        org.awaitility.Awaitility.await("alpha's tools").atMost(java.time.Duration.ofSeconds(30))
                .until(() -> normal.toolNames().contains("alpha_echo"));
        List<String> violations = run(target, REQUESTS, 1L, () -> {
            var response = normal.call("alpha_echo", "still here");
            return response.statusCode() == 200 && response.asString().contains("still here")
                    ? null : response.statusCode() + " " + response.asString();
        });
        assertEquals(List.of(), violations);
        assertTrue(McpClient.initialize().call("alpha_echo", "after").asString().contains("after"),
                "a new client is served afterwards");
    }

    /** The shared check (runtime's HostileInput) with the broker's readiness. */
    static List<String> run(HostileInput.Target target, int count, long seed,
                            java.util.function.Supplier<String> normalCall) throws Exception {
        return HostileInput.check(target, count, seed, normalCall, () -> {
            var ready = given().get("/q/health/ready");
            return ready.statusCode() == 200 ? null : ready.asString();
        });
    }
}
