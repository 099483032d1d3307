package dev.manifold.proxy.http;

import dev.manifold.runtime.testing.TestIssuer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.util.Map;

/** An OAuth issuer for the proxy-runner's tests (keys generated here, a JWKS on a loopback port), and OAuth mode on. */
public class OAuthIssuer implements QuarkusTestResourceLifecycleManager {
    public static final String RESOURCE = "https://proxy.manifold.test/";
    public static volatile TestIssuer issuer;

    @Override
    public Map<String, String> start() {
        issuer = new TestIssuer();
        return Map.of(
                "manifold.proxy.auth.mode", "oauth",
                "manifold.proxy.auth.resource", RESOURCE,
                "manifold.proxy.auth.issuer", issuer.issuer(),
                "manifold.proxy.auth.jwks-url", issuer.jwksUrl());
    }

    public static String token(String subject) {
        return issuer.token(subject, RESOURCE);
    }

    @Override
    public void stop() {
        if (issuer != null) {
            issuer.close();
        }
    }
}
