package dev.manifold.runtime.auth;

import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The {@code auth.*} keys of a service's configuration (a group of the broker's {@code manifold.broker} and the
 * proxy-runner's {@code manifold.proxy} mappings), read into {@link ResourceServer.Settings} by {@link AuthSettings}.
 */
public interface AuthConfig {

    /** {@code anonymous} (every caller is the same, anonymous principal) or {@code oauth} (resource-server mode). */
    @WithDefault("anonymous")
    String mode();

    /** This resource's URL, the audience a token must name; required in oauth mode. */
    Optional<String> resource();

    /** The {@code iss} a token must carry; required in oauth mode. */
    Optional<String> issuer();

    /** The issuer's JWKS URL; required in oauth mode. */
    Optional<String> jwksUrl();

    /** Advertised in the protected-resource metadata; the issuer when unset. */
    Optional<List<String>> authorizationServers();

    /** Scopes every token must grant (403 insufficient_scope otherwise). */
    Optional<List<String>> requiredScopes();

    /** Tolerance on exp and nbf. */
    @WithDefault("30s")
    Duration clockSkew();

    /** How often the JWKS is fetched anyway (whole minutes). */
    @WithDefault("60m")
    Duration jwksRefreshInterval();

    /** Least time between two JWKS fetches caused by tokens naming an unknown kid (whole minutes; 0 = each time). */
    @WithDefault("1m")
    Duration jwksForcedRefreshInterval();

    /** Bound on verified tokens kept until they expire. */
    @WithDefault("10000")
    int maxCachedTokens();

    /** Bound on token verifications waiting for a worker thread; beyond it a request gets 503 and Retry-After. */
    @WithDefault("256")
    int maxPendingVerifications();
}
