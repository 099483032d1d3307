package dev.manifold.proxy.http;

import dev.manifold.contracts.JsonRpcErrors;
import dev.manifold.contracts.nativeguard.NativeImageGuards;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * The proxy-runner as an OAuth resource server: 401 with the resource-metadata challenge before any session work,
 * sessions bound to the issuer and subject that opened them (another subject's use of the id is the unknown-session
 * 404, on POST, GET and DELETE, and nothing reaches the pod), and a refreshed token of the same subject keeps it.
 */
@QuarkusTest
@QuarkusTestResource(value = FakePods.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(value = OAuthIssuer.class, restrictToAnnotatedClass = true)
class OAuthModeTest {
    private static final String PATH = "/demo/fake/mcp";
    private static final String INIT = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
            + "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}";
    private static final String PING = "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}";

    @Inject
    Authentication authentication;

    private static RequestSpecification as(String token) {
        RequestSpecification spec = given().contentType("application/json").accept("application/json, text/event-stream")
                .header("MCP-Protocol-Version", "2025-06-18");
        return token == null ? spec : spec.header("Authorization", "Bearer " + token);
    }

    @Test
    void withoutATokenTheAnswerIs401BeforeAnythingReachesAPod() {
        FakePods.SEEN.clear();
        as(null).body(INIT).post(PATH).then().statusCode(401)
                .header("WWW-Authenticate", equalTo("Bearer resource_metadata=\"https://proxy.manifold.test"
                        + "/.well-known/oauth-protected-resource\""))
                .body("error.code", equalTo(JsonRpcErrors.UNAUTHORIZED));
        as("forged.token.value").body(INIT).post(PATH).then().statusCode(401)
                .header("WWW-Authenticate", containsString("error=\"invalid_token\""));
        assertEquals(0, FakePods.SEEN.size(), "no request reached a pod: " + FakePods.SEEN);
        given().get("/.well-known/oauth-protected-resource").then().statusCode(200)
                .body("resource", equalTo(OAuthIssuer.RESOURCE))
                .body("authorization_servers", hasItem(OAuthIssuer.issuer.issuer()));
    }

    @Test
    void aSessionServesOnlyItsOwnerIncludingAfterATokenRefresh() {
        String alice = OAuthIssuer.token("alice");
        Response init = as(alice).body(INIT).post(PATH);
        init.then().statusCode(200);
        String sid = init.header("Mcp-Session-Id");
        assertNotNull(sid);
        as(alice).header("Mcp-Session-Id", sid).body(PING).post(PATH).then().statusCode(200);

        String mallory = OAuthIssuer.token("mallory");
        FakePods.SEEN.clear();
        Response foreign = as(mallory).header("Mcp-Session-Id", sid).body(PING).post(PATH);
        Response unknown = as(mallory).header("Mcp-Session-Id", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").body(PING).post(PATH);
        assertEquals(404, foreign.statusCode(), foreign.asString());
        assertEquals(unknown.statusCode(), foreign.statusCode());
        assertEquals(unknown.asString(), foreign.asString(), "a foreign session reads exactly like an unknown one");
        given().header("Authorization", "Bearer " + mallory).header("Mcp-Session-Id", sid).accept("text/event-stream")
                .get(PATH).then().statusCode(404);
        given().header("Authorization", "Bearer " + mallory).header("Mcp-Session-Id", sid).delete(PATH)
                .then().statusCode(404);
        assertEquals(0, FakePods.SEEN.size(), "nothing of mallory's reached the pod: " + FakePods.SEEN);

        String refreshed = OAuthIssuer.issuer.token("key-1", "alice", OAuthIssuer.RESOURCE, c -> c.claim("jti", "2"));
        as(refreshed).header("Mcp-Session-Id", sid).body(PING).post(PATH).then().statusCode(200);
        given().header("Authorization", "Bearer " + refreshed).header("Mcp-Session-Id", sid).delete(PATH)
                .then().statusCode(200);
    }

    /** HostileInputTest's 10,000 requests in OAuth mode: a valid token, and another subject's session as the foreign one. */
    @Test
    void tenThousandHostileRequestsInOAuthModeGetNo5xx() throws Exception {
        java.util.Map<String, String> alice = java.util.Map.of("Authorization", "Bearer " + OAuthIssuer.token("alice"));
        java.util.Map<String, String> mallory = java.util.Map.of("Authorization", "Bearer " + OAuthIssuer.token("mallory"));
        String aliceSession = HostileInputTest.initialize(alice);
        String mallorySession = HostileInputTest.initialize(mallory);
        FakePods.recording = false;
        try {
            assertEquals(java.util.List.of(), HostileInputTest.run(alice, () -> aliceSession, () -> mallorySession, 4L));
            assertEquals(null, HostileInputTest.pinging(mallory, mallorySession).get(), "mallory's session survived");
        } finally {
            FakePods.recording = true;
            FakePods.SEEN.clear();
            FakePods.HEADERS.clear();
        }
    }

    @Test
    void theVerifiedTokenCacheClassesAreRegisteredForTheNativeImage() {
        NativeImageGuards.assertCacheRegistered(Authentication.class,
                authentication.resourceServer().orElseThrow().cacheForNativeCheck());
    }
}
