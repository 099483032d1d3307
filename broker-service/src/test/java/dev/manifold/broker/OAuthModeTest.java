package dev.manifold.broker;

import dev.manifold.broker.testing.FixtureBackends;
import dev.manifold.broker.testing.OAuthIssuer;
import dev.manifold.contracts.JsonRpcErrors;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import org.junit.jupiter.api.Test;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * The broker as an OAuth resource server: no token or a bad one gets 401 with the challenge naming the
 * protected-resource metadata, a token without the required scope 403, and a session belongs to the issuer and
 * subject that opened it: another subject using its id gets the same 404 as for an unknown id, on POST, GET and
 * DELETE, while a refreshed token of the same subject keeps it.
 */
@QuarkusTest
@WithTestResource(FixtureBackends.class)
@WithTestResource(OAuthIssuer.class)
class OAuthModeTest {
    @jakarta.inject.Inject
    dev.manifold.broker.http.Authentication authentication;

    /** The 10,000 hostile requests of HostileInputTest, in OAuth mode: with a valid token, and foreign sessions. */
    @Test
    void tenThousandHostileRequestsInOAuthModeGetNo5xx() throws Exception {
        String alice = OAuthIssuer.token("alice");
        String aliceSession = initialize(alice);
        awaitTools(alice, aliceSession);
        String mallorySession = initialize(OAuthIssuer.token("mallory"));
        dev.manifold.runtime.testing.HostileInput.Target target = new dev.manifold.runtime.testing.HostileInput.Target(
                "localhost", io.restassured.RestAssured.port, "/mcp", java.util.Map.of("Authorization", "Bearer " + alice),
                () -> aliceSession, () -> mallorySession);
        String call = "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{\"name\":\"alpha_echo\","
                + "\"arguments\":{\"message\":\"still here\"}}}";
        java.util.List<String> violations = HostileInputTest.run(target, HostileInputTest.REQUESTS, 2L, () -> {
            Response r = as(alice).header("Mcp-Session-Id", aliceSession).body(call).post("/mcp");
            return r.statusCode() == 200 && r.asString().contains("still here") ? null : r.statusCode() + " " + r.asString();
        });
        assertEquals(java.util.List.of(), violations);
        // mallory's session survived every request that named it with alice's token
        as(OAuthIssuer.token("mallory")).header("Mcp-Session-Id", mallorySession).body(LIST).post("/mcp")
                .then().statusCode(200);
    }

    @Test
    void theVerifiedTokenCacheClassesAreRegisteredForTheNativeImage() throws ClassNotFoundException {
        dev.manifold.contracts.nativeguard.NativeImageGuards.assertCacheRegistered(
                Class.forName("dev.manifold.broker.http.AuthenticationReflection"),
                authentication.resourceServer().orElseThrow().cacheForNativeCheck());
    }
    private static final String INIT = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
            + "\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}";
    private static final String LIST = "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}";
    private static final String METADATA = "https://manifold.test/.well-known/oauth-protected-resource/mcp";

    private static RequestSpecification as(String token) {
        RequestSpecification spec = given().contentType("application/json").accept("application/json, text/event-stream");
        return token == null ? spec : spec.header("Authorization", "Bearer " + token);
    }

    private static String initialize(String token) {
        Response init = as(token).body(INIT).post("/mcp");
        init.then().statusCode(200);
        String sid = init.header("Mcp-Session-Id");
        assertNotNull(sid);
        as(token).header("Mcp-Session-Id", sid).body("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}")
                .post("/mcp").then().statusCode(202);
        return sid;
    }

    @Test
    void withoutATokenTheAnswerIs401NamingTheResourceMetadata() {
        as(null).body(INIT).post("/mcp").then().statusCode(401)
                .header("WWW-Authenticate", equalTo("Bearer resource_metadata=\"" + METADATA + "\""))
                .body("jsonrpc", equalTo("2.0"))
                .body("error.code", equalTo(JsonRpcErrors.UNAUTHORIZED));
        given().accept("text/event-stream").get("/mcp").then().statusCode(401);
        given().delete("/mcp").then().statusCode(401);
    }

    @Test
    void theProtectedResourceMetadataNamesTheResourceAndTheIssuer() {
        for (String path : new String[] {"/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"}) {
            given().get(path).then().statusCode(200)
                    .body("resource", equalTo(OAuthIssuer.RESOURCE))
                    .body("authorization_servers", hasItem(OAuthIssuer.issuer.issuer()))
                    .body("scopes_supported", hasItem("mcp:tools"));
        }
    }

    @Test
    void badTokensAre401InvalidTokenAndAMissingScopeIs403() {
        String wrongAudience = OAuthIssuer.issuer.token("key-1", "alice", "https://elsewhere.test/mcp",
                c -> c.claim("scope", "mcp:tools"));
        long now = System.currentTimeMillis() / 1000;
        String expired = OAuthIssuer.issuer.token("key-1", "alice", OAuthIssuer.RESOURCE,
                c -> c.claim("scope", "mcp:tools").issuedAt(now - 900).expiresAt(now - 600));
        for (String bad : new String[] {wrongAudience, expired, "not.a.jwt"}) {
            as(bad).body(INIT).post("/mcp").then().statusCode(401)
                    .header("WWW-Authenticate", containsString("error=\"invalid_token\""))
                    .header("WWW-Authenticate", containsString("resource_metadata=\"" + METADATA + "\""))
                    .body("error.code", equalTo(JsonRpcErrors.UNAUTHORIZED));
        }
        String unscoped = OAuthIssuer.issuer.token("alice", OAuthIssuer.RESOURCE);
        as(unscoped).body(INIT).post("/mcp").then().statusCode(403)
                .header("WWW-Authenticate", containsString("error=\"insufficient_scope\""))
                .header("WWW-Authenticate", containsString("scope=\"mcp:tools\""))
                .body("error.code", equalTo(JsonRpcErrors.FORBIDDEN));
    }

    /** Waits until the fixture backends are connected: a session of {@code token} lists alpha's tools. */
    private static void awaitTools(String token, String sid) {
        org.awaitility.Awaitility.await("alpha's tools listed").atMost(java.time.Duration.ofSeconds(30))
                .until(() -> {
                    // Until alpha (a JSON backend) is connected the broker may answer its own lists as SSE, as the
                    // backends then all do (local-responses: auto): only a JSON answer can list alpha's tools.
                    Response r = as(token).header("Mcp-Session-Id", sid).body(LIST).post("/mcp");
                    return r.contentType().startsWith("application/json")
                            && r.jsonPath().getList("result.tools.name").contains("alpha_echo");
                });
    }

    @Test
    void aSessionServesItsOwnerAndARefreshedTokenOfTheSameSubject() {
        String sid = initialize(OAuthIssuer.token("alice"));
        awaitTools(OAuthIssuer.token("alice"), sid);
        String refreshed = OAuthIssuer.issuer.token("key-1", "alice", OAuthIssuer.RESOURCE,
                c -> c.claim("scope", "mcp:tools").claim("jti", "refreshed"));
        as(refreshed).header("Mcp-Session-Id", sid).body(LIST).post("/mcp").then().statusCode(200)
                .body("result.tools.name", hasItem("alpha_echo"));
    }

    @Test
    void anotherSubjectUsingTheSessionIdGetsTheSame404AsForAnUnknownIdOnPostGetAndDelete() {
        String alice = OAuthIssuer.token("alice");
        String sid = initialize(alice);
        awaitTools(alice, sid);
        String mallory = OAuthIssuer.token("mallory");
        Response foreign = as(mallory).header("Mcp-Session-Id", sid).body(LIST).post("/mcp");
        Response unknown = as(mallory).header("Mcp-Session-Id", "0123456789abcdef0123456789abcdef").body(LIST).post("/mcp");
        assertEquals(404, foreign.statusCode());
        assertEquals(unknown.statusCode(), foreign.statusCode());
        assertEquals(unknown.asString(), foreign.asString(), "a foreign session reads exactly like an unknown one");
        foreign.then().body("error.code", equalTo(JsonRpcErrors.SESSION_NOT_FOUND));

        as(mallory).header("Mcp-Session-Id", sid).body("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\","
                + "\"params\":{\"name\":\"alpha_echo\",\"arguments\":{\"message\":\"x\"}}}").post("/mcp").then().statusCode(404);
        given().header("Authorization", "Bearer " + mallory).header("Mcp-Session-Id", sid).accept("text/event-stream")
                .get("/mcp").then().statusCode(404);
        given().header("Authorization", "Bearer " + mallory).header("Mcp-Session-Id", sid).delete("/mcp")
                .then().statusCode(404);

        // the owner's session survived every attempt
        as(alice).header("Mcp-Session-Id", sid).body(LIST).post("/mcp").then().statusCode(200)
                .body("result.tools.name", hasItem("alpha_echo"));
        as(alice).header("Mcp-Session-Id", sid).delete("/mcp").then().statusCode(200);
        as(alice).header("Mcp-Session-Id", sid).body(LIST).post("/mcp").then().statusCode(404);
    }
}
