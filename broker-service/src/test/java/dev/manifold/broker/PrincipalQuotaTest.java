package dev.manifold.broker;

import dev.manifold.broker.testing.FixtureBackends;
import dev.manifold.broker.testing.OAuthIssuer;
import dev.manifold.contracts.JsonRpcErrors;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Finding 4 of the abuse probe, at the broker in OAuth mode: a principal holds at most max-sessions-per-principal
 * sessions and opens at most max-new-sessions-per-minute; one more initialize gets 429 with -32013, other
 * principals are not affected, and deleting a session makes room.
 */
@QuarkusTest
@TestProfile(PrincipalQuotaTest.SmallQuota.class)
@WithTestResource(FixtureBackends.class)
@WithTestResource(OAuthIssuer.class)
class PrincipalQuotaTest {

    public static class SmallQuota implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("manifold.broker.max-sessions-per-principal", "2",
                    "manifold.broker.max-new-sessions-per-minute", "3");
        }
    }

    private static final String INIT = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
            + "\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}";

    private static Response init(String token) {
        return given().contentType("application/json").accept("application/json, text/event-stream")
                .header("Authorization", "Bearer " + token).body(INIT).post("/mcp");
    }

    private static void delete(String token, String sid) {
        given().header("Authorization", "Bearer " + token).header("Mcp-Session-Id", sid).delete("/mcp")
                .then().statusCode(200);
    }

    private static void assertLimited(Response refused, String limit) {
        assertEquals(429, refused.statusCode(), refused.asString());
        assertEquals(JsonRpcErrors.TOO_MANY_REQUESTS, refused.jsonPath().getInt("error.code"));
        assertTrue(refused.jsonPath().getString("error.message").contains(limit), refused.asString());
    }

    @Test
    void aPrincipalIsLimitedInSessionsAndInNewSessionsPerMinute() {
        // The per-minute count is a window of the clock's minute: start early in one, so all of this falls in it.
        await().atMost(Duration.ofSeconds(20)).until(() -> System.currentTimeMillis() % 60_000 < 40_000);
        String alice = OAuthIssuer.token("alice");
        String first = init(alice).then().statusCode(200).extract().header("Mcp-Session-Id");
        init(alice).then().statusCode(200);
        assertLimited(init(alice), "max-sessions-per-principal");
        init(OAuthIssuer.token("bob")).then().statusCode(200); // another principal is not affected

        delete(alice, first);
        String third = init(alice).then().statusCode(200).extract().header("Mcp-Session-Id"); // room again
        delete(alice, third);
        assertLimited(init(alice), "max-new-sessions-per-minute"); // the fourth creation this minute
    }
}
