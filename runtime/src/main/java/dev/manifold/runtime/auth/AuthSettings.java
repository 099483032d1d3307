package dev.manifold.runtime.auth;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/** Reads a service's {@link AuthConfig}: empty in anonymous mode; a bad value fails the start naming the key. */
public final class AuthSettings {

    private AuthSettings() {
    }

    /**
     * @param prefix the service's configuration prefix, for messages ({@code manifold.broker})
     */
    public static Optional<ResourceServer.Settings> read(AuthConfig config, String prefix) {
        String p = prefix + ".auth.";
        String mode = config.mode().trim().toLowerCase(Locale.ROOT);
        if (mode.equals("anonymous")) {
            return Optional.empty();
        }
        if (!mode.equals("oauth")) {
            throw new IllegalArgumentException(p + "mode must be anonymous or oauth, got '" + config.mode() + "'");
        }
        return Optional.of(new ResourceServer.Settings(
                url(config.resource(), p + "resource"),
                required(config.issuer(), p + "issuer"),
                url(config.jwksUrl(), p + "jwks-url"),
                config.authorizationServers().orElse(List.of()),
                Set.copyOf(config.requiredScopes().orElse(List.of())),
                config.clockSkew(),
                config.jwksForcedRefreshInterval(),
                config.jwksRefreshInterval(),
                config.maxCachedTokens(),
                config.maxPendingVerifications()));
    }

    private static String required(Optional<String> value, String key) {
        return value.map(String::trim).filter(v -> !v.isEmpty())
                .orElseThrow(() -> new IllegalArgumentException(key + " must be set in oauth mode"));
    }

    private static URI url(Optional<String> value, String key) {
        String text = required(value, key);
        try {
            URI uri = new URI(text);
            if (uri.getHost() == null || !("https".equals(uri.getScheme()) || "http".equals(uri.getScheme()))) {
                throw new IllegalArgumentException(key + " must be an absolute http(s) URL, got '" + text + "'");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(key + " is not a URL: '" + text + "'", e);
        }
    }
}
