package dev.manifold.contracts;

import com.fasterxml.jackson.annotation.JsonCreator;

import java.util.List;
import java.util.regex.Pattern;

/**
 * How the broker obtains a token for one backend from a client's bearer token: an RFC 8693 token exchange at
 * {@code tokenEndpoint}, asking for {@code audience} (the backend's URL when absent) and {@code scopes}. The
 * broker's own client id and secret are broker settings, never part of the published config.
 *
 * @param tokenEndpoint the authorization server's token endpoint, an absolute http or https URL
 * @param audience      the audience to ask for; {@code null} means the server's URL
 * @param scopes        the scopes to ask for, sorted and without duplicates; {@code null} when none
 */
public record TokenExchange(String tokenEndpoint, String audience, List<String> scopes) {

    /** An OAuth scope token (RFC 6749 section 3.3): printable ASCII without space, {@code "} or {@code \}. */
    public static final String SCOPE_PATTERN = "^[\\x21\\x23-\\x5B\\x5D-\\x7E]{1,128}$";
    private static final Pattern SCOPE = Pattern.compile(SCOPE_PATTERN);
    /** At most this many scopes. */
    public static final int MAX_SCOPES = 32;

    /** Errors name the field relative to this object ({@code tokenEndpoint}); readers prefix where it sits. */
    @JsonCreator
    public TokenExchange {
        if (tokenEndpoint == null || tokenEndpoint.isBlank()) {
            throw new ConfigValidationException("tokenEndpoint", "must be set");
        }
        ServerEntry.checkUrl("tokenEndpoint", tokenEndpoint);
        if (audience != null && audience.isBlank()) {
            audience = null;
        }
        if (audience != null && (audience.length() > 2048 || audience.chars().anyMatch(c -> c < 0x20 || c == 0x7F))) {
            throw new ConfigValidationException("audience", "must be at most 2048 printable characters");
        }
        if (scopes != null) {
            for (String scope : scopes) {
                if (scope == null || !SCOPE.matcher(scope).matches()) {
                    throw new ConfigValidationException("scopes", "'" + scope + "' is not an OAuth scope ("
                            + SCOPE_PATTERN + ")");
                }
            }
            scopes = scopes.isEmpty() ? null : scopes.stream().distinct().sorted().toList();
            if (scopes != null && scopes.size() > MAX_SCOPES) {
                throw new ConfigValidationException("scopes", "at most " + MAX_SCOPES + " distinct scopes");
            }
        }
    }

    /** The audience to ask for when exchanging a token for the server at {@code serverUrl}. */
    public String audienceFor(String serverUrl) {
        return audience != null ? audience : serverUrl;
    }
}
