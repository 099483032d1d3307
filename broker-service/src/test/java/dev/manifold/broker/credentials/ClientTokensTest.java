package dev.manifold.broker.credentials;

import dev.manifold.broker.testing.ClientTokenBackends;
import dev.manifold.broker.testing.McpClient;
import dev.manifold.broker.testing.OAuthIssuer;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A client's token toward backends, with the broker in OAuth mode: never forwarded by default; forwarded as it is to
 * an {@code authPassthrough} server; exchanged (RFC 8693, the test plays the token endpoint) for a token with the
 * server as audience for a {@code tokenExchange} server, that token cached per caller and server until shortly
 * before it expires, and a refused exchange failing the caller's request only.
 */
@QuarkusTest
@WithTestResource(ClientTokenBackends.class)
@WithTestResource(OAuthIssuer.class)
class ClientTokensTest {

    @BeforeEach
    void backendsConnected() {
        await("all three servers listed").atMost(Duration.ofSeconds(30)).until(() ->
                McpClient.initialize("Bearer " + OAuthIssuer.token("lister")).toolNames()
                        .containsAll(List.of("plain_echo", "pass_echo", "xchg_echo")));
    }

    private static McpClient session(String token) {
        return McpClient.initialize("Bearer " + token);
    }

    private static void callsSucceed(McpClient client, String tool) {
        Response r = client.call(tool, "hello");
        r.then().statusCode(200);
        assertNull(r.jsonPath().get("error"), () -> tool + ": " + r.asString());
    }

    @Test
    void eachServerGetsWhatItAsksForFromTheCallersToken() {
        String alice = OAuthIssuer.token("alice");
        McpClient client = session(alice);
        callsSucceed(client, "plain_echo");
        callsSucceed(client, "pass_echo");
        callsSucceed(client, "xchg_echo");

        assertFalse(ClientTokenBackends.plain.credentialsSeen().stream().anyMatch(v -> v.contains(alice)),
                "the default server never gets the client's Authorization");
        assertEquals(List.of(), ClientTokenBackends.plain.credentialsSeen());
        assertTrue(ClientTokenBackends.pass.credentialsSeen().contains("Bearer " + alice),
                "the passthrough server gets the client's header as it was sent");
        assertFalse(ClientTokenBackends.xchg.credentialsSeen().stream().anyMatch(v -> v.contains(alice)),
                "the exchange server never sees the client's own token");

        List<Map<String, String>> asked = ClientTokenBackends.sts.exchangesOf(alice);
        assertEquals(1, asked.size(), "one exchange for alice");
        Map<String, String> form = asked.get(0);
        assertEquals("urn:ietf:params:oauth:grant-type:token-exchange", form.get("grant_type"));
        assertEquals("urn:ietf:params:oauth:token-type:access_token", form.get("subject_token_type"));
        assertEquals(ClientTokenBackends.xchg.url(), form.get("audience"), "audience defaults to the server's URL");
        assertEquals("tools.read", form.get("scope"));
        assertEquals("Basic " + Base64.getEncoder().encodeToString((ClientTokenBackends.CLIENT_ID + ":"
                + ClientTokenBackends.CLIENT_SECRET).getBytes()), form.get(dev.manifold.runtime.testing.TestTokenEndpoint.AUTHORIZATION));
        String exchanged = exchangedTokensSeenSince(0);
        assertNotNull(exchanged);
        assertTrue(exchanged.startsWith("Bearer xchg-"), exchanged);
    }

    @Test
    void anExchangedTokenIsReusedByItsCallerOnlyAndRenewedBeforeItExpires() {
        String bob = OAuthIssuer.token("bob");
        McpClient bobs = session(bob);
        int seen = ClientTokenBackends.xchg.credentialsSeen().size();
        callsSucceed(bobs, "xchg_echo");
        callsSucceed(bobs, "xchg_echo");
        // bob's second session, with a refreshed token of the same subject, reuses the same exchanged token
        String refreshed = OAuthIssuer.issuer.token("key-1", "bob", OAuthIssuer.RESOURCE,
                c -> c.claim("scope", "mcp:tools").claim("jti", "refreshed"));
        callsSucceed(session(refreshed), "xchg_echo");
        assertEquals(1, ClientTokenBackends.sts.exchangesOf(bob).size() + ClientTokenBackends.sts.exchangesOf(refreshed).size(),
                "bob's token was exchanged once");
        Set<String> bobsTokens = ClientTokenBackends.xchg.credentialsSeen().stream().skip(seen).collect(Collectors.toSet());
        assertEquals(1, bobsTokens.size(), "every request of bob carried one exchanged token: " + bobsTokens);

        String carol = OAuthIssuer.token("carol");
        int before = ClientTokenBackends.xchg.credentialsSeen().size();
        callsSucceed(session(carol), "xchg_echo");
        assertEquals(1, ClientTokenBackends.sts.exchangesOf(carol).size(), "carol gets her own exchange");
        List<String> carols = ClientTokenBackends.xchg.credentialsSeen().subList(before,
                ClientTokenBackends.xchg.credentialsSeen().size());
        assertFalse(carols.stream().anyMatch(bobsTokens::contains), "carol's requests never carry bob's token");

        // A token that lives 2 s is used until 1 s (expiry-skew) before it expires, then exchanged again.
        ClientTokenBackends.sts.expiresIn(2);
        try {
            String dave = OAuthIssuer.token("dave");
            McpClient daves = session(dave);
            callsSucceed(daves, "xchg_echo");
            assertEquals(1, ClientTokenBackends.sts.exchangesOf(dave).size());
            await("dave's token exchanged again").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                    .until(() -> {
                        callsSucceed(daves, "xchg_echo");
                        return ClientTokenBackends.sts.exchangesOf(dave).size() >= 2;
                    });
        } finally {
            ClientTokenBackends.sts.expiresIn(3600);
        }
    }

    @Test
    void aRefusedExchangeFailsThatCallersRequestAndNothingElse() {
        String mallory = OAuthIssuer.token("mallory");
        ClientTokenBackends.sts.refuse(mallory);
        Response refused;
        try (dev.manifold.runtime.testing.CapturedLog log = dev.manifold.runtime.testing.CapturedLog.start()) {
            refused = session(mallory).call("xchg_echo", "hello");
            // any caller can make an exchange fail: that must not write a WARN (a stack trace) per request
            assertEquals(List.of(), log.lines(java.util.logging.Level.WARNING));
        }
        refused.then().statusCode(200);
        String message = refused.jsonPath().getString("error.message");
        assertNotNull(message, refused.asString());
        assertTrue(message.contains("token exchange at " + ClientTokenBackends.sts.url()), message);
        assertFalse(message.contains(mallory), "the error never shows the caller's token");
        assertEquals(1, ClientTokenBackends.sts.exchangesOf(mallory).size(), "the refusal was the token endpoint's");

        // the server stays connected: another caller's exchange and call succeed, and health says it is up
        callsSucceed(session(OAuthIssuer.token("erin")), "xchg_echo");
        String health = given().get("/q/health/ready").asString();
        assertFalse(health.contains("xchg-") || health.contains(mallory), "no token in health output");
        String metrics = given().get("/q/metrics").asString();
        assertTrue(metrics.contains("manifold_broker_token_exchanges_total{outcome=\"failed\",server=\"xchg\"}"), metrics);
        assertTrue(metrics.contains("manifold_broker_token_exchanges_total{outcome=\"exchanged\",server=\"xchg\"}"));
        assertFalse(metrics.contains("xchg-1"));
    }

    @jakarta.inject.Inject
    ClientTokens clientTokens;

    @Test
    void theExchangedTokenCacheClassesAreRegisteredForTheNativeImage() {
        dev.manifold.contracts.nativeguard.NativeImageGuards.assertCacheRegistered(ClientTokensReflection.class,
                clientTokens.cacheForNativeCheck());
    }

    @Test
    void aTokenExchangeTheOperatorDidNotAllowAndServersThatShareAUrlButDisagreeGetNoToken() {
        String frank = OAuthIssuer.token("frank");
        McpClient client = session(frank);
        await("the shared and rogue servers listed").atMost(Duration.ofSeconds(30)).until(() -> client.toolNames()
                .containsAll(List.of("shareda_echo", "sharedb_echo", "rogueend_echo", "rogueaud_echo")));
        Map<String, String> expected = Map.of(
                "rogueend_echo", "its token endpoint " + ClientTokenBackends.ROGUE_ENDPOINT
                        + " is not in manifold.broker.token-exchange.allowed-endpoints",
                "rogueaud_echo", "its token-exchange audience https://payroll.example is neither the server's URL nor in "
                        + "manifold.broker.token-exchange.allowed-audiences",
                // the plain entry sorts first: whatever the order, a URL with two policies gets neither
                "shareda_echo", "servers [shared-a, shared-b] share the URL " + ClientTokenBackends.shared.url(),
                "sharedb_echo", "servers [shared-a, shared-b] share the URL " + ClientTokenBackends.shared.url());
        expected.forEach((tool, reason) -> {
            Response r = client.call(tool, "hello");
            r.then().statusCode(200);
            String message = r.jsonPath().getString("error.message");
            assertNotNull(message, tool + ": " + r.asString());
            assertTrue(message.contains(reason), tool + ": " + message);
        });
        assertEquals(List.of(), ClientTokenBackends.sts.exchangesOf(frank), "no exchange was attempted for them");
        assertFalse(ClientTokenBackends.rogue.credentialsSeen().stream().anyMatch(v -> v.contains(frank)));
        assertFalse(ClientTokenBackends.shared.credentialsSeen().stream().anyMatch(v -> v.contains(frank)));
    }

    /** logging/setLevel fans out, but a server that gets the caller's token only once the caller has used it. */
    @Test
    void loggingSetLevelReachesAServerThatActsOnTheCallersTokenOnlyOnceTheCallerUsesIt() {
        String setLevel = "{\"jsonrpc\":\"2.0\",\"id\":21,\"method\":\"logging/setLevel\",\"params\":{\"level\":\"debug\"}}";
        String gina = OAuthIssuer.token("gina");
        McpClient client = session(gina);
        int before = ClientTokenBackends.pass.requests("logging/setLevel");
        client.post(setLevel).then().statusCode(200);
        assertEquals(before, ClientTokenBackends.pass.requests("logging/setLevel"), "not before gina used it");
        assertFalse(ClientTokenBackends.pass.credentialsSeen().contains("Bearer " + gina));
        callsSucceed(client, "pass_echo");
        client.post(setLevel).then().statusCode(200);
        assertEquals(before + 1, ClientTokenBackends.pass.requests("logging/setLevel"), "once gina's session is open there");
    }

    /**
     * A stateless (2026-07-28) call rides the broker's own session with a session-keeping server: refused for a
     * server that acts on the caller's token, which therefore never sees the token; served for a plain one.
     */
    @Test
    void aStatelessCallToAServerThatActsOnTheCallersTokenIsRefused() {
        String henry = OAuthIssuer.token("henry");
        String meta = "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\"}";
        for (String tool : List.of("pass_echo", "plain_echo")) {
            Response r = given().contentType("application/json").accept("application/json, text/event-stream")
                    .header("Authorization", "Bearer " + henry).header("MCP-Protocol-Version", "2026-07-28")
                    .header("Mcp-Method", "tools/call").header("Mcp-Name", tool)
                    .body("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool
                            + "\",\"arguments\":{\"message\":\"hi\"}," + meta + "}}").post("/mcp");
            r.then().statusCode(200);
            if (tool.equals("pass_echo")) {
                assertEquals(-32600, r.jsonPath().getInt("error.code"), r.asString());
                assertTrue(r.jsonPath().getString("error.message").contains("reached only within a session"), r.asString());
            } else {
                assertNull(r.jsonPath().get("error"), r.asString());
            }
        }
        assertFalse(ClientTokenBackends.pass.credentialsSeen().contains("Bearer " + henry));
    }

    /** The first exchanged token the xchg server was sent after its first {@code from} credentials. */
    private static String exchangedTokensSeenSince(int from) {
        return ClientTokenBackends.xchg.credentialsSeen().stream().skip(from)
                .filter(v -> v.startsWith("Bearer xchg-")).findFirst().orElse(null);
    }
}
