package dev.manifold.proxy.http;

import dev.manifold.contracts.JsonRpcErrors;
import io.quarkus.test.common.QuarkusTestResource;
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
 * Finding 4 of the abuse probe (20k initializes made 20k backend sessions): in OAuth mode a principal holds at most
 * max-sessions-per-principal sessions and opens at most max-new-sessions-per-minute. One more initialize gets 429
 * with -32013 before it reaches a pod, so it costs the pod nothing; another principal is not affected.
 */
@QuarkusTest
@TestProfile(PrincipalQuotaTest.SmallQuota.class)
@QuarkusTestResource(value = FakePods.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(value = OAuthIssuer.class, restrictToAnnotatedClass = true)
class PrincipalQuotaTest {

    public static class SmallQuota implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("manifold.proxy.max-sessions-per-principal", "2",
                    "manifold.proxy.max-new-sessions-per-minute", "3");
        }
    }

    private static final String INIT = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
            + "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}";

    private static Response init(String token) {
        return given().contentType("application/json").accept("application/json, text/event-stream")
                .header("Authorization", "Bearer " + token).body(INIT).post("/demo/fake/mcp");
    }

    private static long initializesSeenByPods() {
        return FakePods.SEEN.stream().filter(s -> s.body().contains("\"initialize\"")).count();
    }

    private static void assertLimited(Response refused, String limit) {
        assertEquals(429, refused.statusCode(), refused.asString());
        assertEquals(JsonRpcErrors.TOO_MANY_REQUESTS, refused.jsonPath().getInt("error.code"));
        assertTrue(refused.jsonPath().getString("error.message").contains(limit), refused.asString());
    }

    @Test
    void aPrincipalIsLimitedBeforeItsInitializeReachesAPod() {
        await().atMost(Duration.ofSeconds(20)).until(() -> System.currentTimeMillis() % 60_000 < 40_000);
        String alice = OAuthIssuer.token("alice");
        String first = init(alice).then().statusCode(200).extract().header("Mcp-Session-Id");
        init(alice).then().statusCode(200);
        long seen = initializesSeenByPods();
        assertLimited(init(alice), "max-sessions-per-principal");
        assertEquals(seen, initializesSeenByPods(), "the refused initialize reached no pod");
        init(OAuthIssuer.token("bob")).then().statusCode(200);

        given().header("Authorization", "Bearer " + alice).header("Mcp-Session-Id", first)
                .delete("/demo/fake/mcp").then().statusCode(200);
        init(alice).then().statusCode(200); // room again, the third creation this minute
        assertLimited(init(alice), "max-new-sessions-per-minute"); // the rate is checked first
    }
}
