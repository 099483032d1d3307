package dev.manifold.broker.testing;

import dev.manifold.runtime.testing.TestIssuer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.util.Map;

/**
 * An OAuth issuer (keys generated in the test, a JWKS served on a loopback port) and the broker in resource-server
 * mode against it: resource {@link #RESOURCE}, required scope {@code mcp:tools}.
 */
public class OAuthIssuer implements QuarkusTestResourceLifecycleManager {
    public static final String RESOURCE = "https://manifold.test/mcp";
    public static volatile TestIssuer issuer;

    @Override
    public Map<String, String> start() {
        issuer = new TestIssuer();
        return Map.of(
                "manifold.broker.auth.mode", "oauth",
                "manifold.broker.auth.resource", RESOURCE,
                "manifold.broker.auth.issuer", issuer.issuer(),
                "manifold.broker.auth.jwks-url", issuer.jwksUrl(),
                "manifold.broker.auth.required-scopes", "mcp:tools");
    }

    /** A token for {@code subject} with the required scope. */
    public static String token(String subject) {
        return issuer.token("key-1", subject, RESOURCE, c -> c.claim("scope", "mcp:tools"));
    }

    @Override
    public void stop() {
        if (issuer != null) {
            issuer.close();
        }
    }
}
