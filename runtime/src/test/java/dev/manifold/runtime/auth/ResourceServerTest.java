package dev.manifold.runtime.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.manifold.runtime.testing.TestIssuer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bearer-token checks against a JWKS served by the test, with keys generated here. */
class ResourceServerTest {
    private static final String RESOURCE = "https://gateway.test/mcp";

    private TestIssuer issuer;
    private ResourceServer server;

    @BeforeEach
    void start() {
        issuer = new TestIssuer();
        server = server(Set.of());
    }

    private ResourceServer server(Set<String> scopes) {
        return server(scopes, Duration.ofMinutes(1));
    }

    private ResourceServer server(Set<String> scopes, Duration forcedRefresh) {
        return new ResourceServer(new ResourceServer.Settings(URI.create(RESOURCE), issuer.issuer(),
                URI.create(issuer.jwksUrl()), List.of(), scopes, Duration.ofSeconds(30), forcedRefresh,
                Duration.ofMinutes(60), 100, 16));
    }

    @AfterEach
    void stop() {
        issuer.close();
    }

    private static String bearer(String token) {
        return "Bearer " + token;
    }

    private ResourceServer.Outcome.Denied denied(ResourceServer.Outcome outcome, int status) {
        ResourceServer.Outcome.Denied denied = assertInstanceOf(ResourceServer.Outcome.Denied.class, outcome);
        assertEquals(status, denied.status(), denied.toString());
        assertTrue(denied.challenge().startsWith("Bearer resource_metadata=\"https://gateway.test"
                + ResourceServer.WELL_KNOWN + "/mcp\""), denied.challenge());
        return denied;
    }

    private void invalidToken(String token, String why) {
        invalidToken(server, token, why);
    }

    private void invalidToken(ResourceServer server, String token, String why) {
        ResourceServer.Outcome.Denied d = denied(server.verify(bearer(token)), 401);
        assertTrue(d.challenge().contains("error=\"invalid_token\""), d.challenge());
        assertTrue(d.message().contains(why), d.message());
    }

    @Test
    void aValidTokenNamesItsIssuerAndSubjectAndIsThenKnownWithoutVerifyingAgain() {
        String token = issuer.token(issuer.issuer().isEmpty() ? null : "key-1", "alice", RESOURCE,
                c -> c.claim("scope", "mcp:tools mcp:read"));
        ResourceServer.Outcome.Allowed allowed = assertInstanceOf(ResourceServer.Outcome.Allowed.class,
                server.verify(bearer(token)));
        assertEquals(issuer.issuer() + " alice", allowed.caller().key());
        assertEquals(Set.of("mcp:tools", "mcp:read"), allowed.caller().scopes());
        assertInstanceOf(ResourceServer.Outcome.Allowed.class, server.quick(bearer(token)).orElseThrow());
        assertEquals(1, issuer.jwksFetches.get(), "the key set was fetched once");
    }

    @Test
    void aRefreshedTokenOfTheSameSubjectIsTheSameCaller() {
        String first = issuer.token("alice", RESOURCE);
        String refreshed = issuer.token("key-1", "alice", RESOURCE, c -> c.claim("jti", "second"));
        Caller a = ((ResourceServer.Outcome.Allowed) server.verify(bearer(first))).caller();
        Caller b = ((ResourceServer.Outcome.Allowed) server.verify(bearer(refreshed))).caller();
        assertTrue(b.owns(a.key()));
        Caller bob = ((ResourceServer.Outcome.Allowed) server.verify(bearer(issuer.token("bob", RESOURCE)))).caller();
        assertTrue(!bob.owns(a.key()), "another subject does not own alice's session");
    }

    @Test
    void aMissingOrMalformedHeaderIs401WithTheResourceMetadataAndNoTokenError() {
        ResourceServer.Outcome.Denied missing = denied(server.quick(null).orElseThrow(), 401);
        assertTrue(!missing.challenge().contains("error="), "no error code without credentials (RFC 6750 3.1)");
        ResourceServer.Outcome.Denied basic = denied(server.verify("Basic dXNlcjpwdw=="), 401);
        assertTrue(basic.challenge().contains("error=\"invalid_request\""), basic.challenge());
    }

    @Test
    void wrongAudienceWrongIssuerExpiredAndNotYetValidTokensAreRejected() {
        invalidToken(issuer.token("alice", "https://other.test/mcp"), "aud");
        invalidToken(issuer.token("key-1", "alice", RESOURCE, c -> c.issuer("https://evil.test")), "iss");
        long now = System.currentTimeMillis() / 1000;
        invalidToken(issuer.token("key-1", "alice", RESOURCE, c -> c.issuedAt(now - 600).expiresAt(now - 120)), "expired");
        invalidToken(issuer.token("key-1", "alice", RESOURCE, c -> c.claim("nbf", now + 600)), "");
        invalidToken(issuer.token("key-1", "alice", RESOURCE, c -> c.remove("sub")), "");
    }

    @Test
    void aTokenWithinTheClockSkewOfItsExpiryIsAccepted() {
        long now = System.currentTimeMillis() / 1000;
        String token = issuer.token("key-1", "alice", RESOURCE, c -> c.issuedAt(now - 600).expiresAt(now - 5));
        assertInstanceOf(ResourceServer.Outcome.Allowed.class, server.verify(bearer(token)));
    }

    @Test
    void aBadSignatureIsRejected() {
        issuer.addKey("impostor");
        String forged = issuer.token("impostor", "alice", RESOURCE, c -> c);
        // the impostor's token, presented under the published kid: its signature does not verify
        String[] parts = forged.split("\\.");
        String[] genuine = issuer.token("alice", RESOURCE).split("\\.");
        invalidToken(genuine[0] + "." + parts[1] + "." + parts[2], "signature");
        invalidToken(genuine[0] + "." + genuine[1] + "." + parts[2], "signature");
    }

    @Test
    void anUnknownKidRefetchesTheKeySetSoARotatedKeyIsAcceptedAndAnUnpublishedOneIsNot() {
        ResourceServer rotating = server(Set.of(), Duration.ZERO);
        assertInstanceOf(ResourceServer.Outcome.Allowed.class, rotating.verify(bearer(issuer.token("alice", RESOURCE))));
        int fetches = issuer.jwksFetches.get();
        issuer.addKey("key-2");
        issuer.publish("key-1", "key-2");
        String rotated = issuer.token("key-2", "alice", RESOURCE, c -> c);
        // jose4j skips a refresh within a short reprieve (300 ms) of the last fetch: the rotated key is accepted
        // as soon as an unknown-kid refresh goes through.
        await("the rotated key accepted").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> rotating.verify(bearer(rotated)) instanceof ResourceServer.Outcome.Allowed);
        assertTrue(issuer.jwksFetches.get() > fetches, "the unknown kid fetched the key set again");

        issuer.addKey("key-3"); // never published
        invalidToken(rotating, issuer.token("key-3", "alice", RESOURCE, c -> c), "signature");
    }

    @Test
    void withinTheForcedRefreshIntervalAnUnknownKidDoesNotFetchTheKeySetAgain() {
        assertInstanceOf(ResourceServer.Outcome.Allowed.class, server.verify(bearer(issuer.token("alice", RESOURCE))));
        int fetches = issuer.jwksFetches.get();
        issuer.addKey("key-2");
        issuer.publish("key-1", "key-2");
        for (int i = 0; i < 5; i++) {
            invalidToken(issuer.token("key-2", "mallory-" + i, RESOURCE, c -> c), "signature");
        }
        assertTrue(issuer.jwksFetches.get() <= fetches + 1, "unknown kids refetch at most once per interval: "
                + issuer.jwksFetches.get());
    }

    @Test
    void aMissingScopeIs403InsufficientScopeNamingIt() {
        ResourceServer scoped = server(Set.of("mcp:tools"));
        ResourceServer.Outcome.Denied d = denied(scoped.verify(bearer(issuer.token("alice", RESOURCE))), 403);
        assertTrue(d.challenge().contains("error=\"insufficient_scope\"") && d.challenge().contains("scope=\"mcp:tools\""),
                d.challenge());
        assertInstanceOf(ResourceServer.Outcome.Allowed.class, scoped.verify(bearer(
                issuer.token("key-1", "alice", RESOURCE, c -> c.claim("scope", "mcp:tools")))));
    }

    @Test
    void aCachedTokenStopsBeingAcceptedWhenItExpires() {
        AtomicLong now = new AtomicLong(System.currentTimeMillis());
        ResourceServer clocked = new ResourceServer(server.settings(), now::get);
        String token = issuer.token("alice", RESOURCE);
        assertInstanceOf(ResourceServer.Outcome.Allowed.class, clocked.verify(bearer(token)));
        now.addAndGet(Duration.ofMinutes(6).toMillis()); // past exp (5 min) and the 30 s skew
        denied(clocked.quick(bearer(token)).orElseThrow(), 401);
    }

    @Test
    void theMetadataDocumentNamesTheResourceAndItsAuthorizationServer() throws Exception {
        assertEquals(ResourceServer.WELL_KNOWN + "/mcp", server.metadataPath());
        JsonNode doc = new ObjectMapper().readTree(server.metadata());
        assertEquals(RESOURCE, doc.path("resource").asText());
        assertEquals(issuer.issuer(), doc.path("authorization_servers").path(0).asText());
        assertEquals("header", doc.path("bearer_methods_supported").path(0).asText());
    }
}
