package dev.manifold.broker.credentials;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * The {@code Authorization} header a client sent with one request, and whose it is. Only a server with
 * {@code authPassthrough} or {@code tokenExchange} is ever sent anything made from it ({@link ClientTokens}); it is
 * held in memory for the request, and in the client session for the broker's own messages within that session,
 * never stored in Redis or logged ({@link #toString()} redacts it).
 *
 * @param authorization the header as the client sent it; {@code null} when it sent none
 * @param caller        the verified caller ({@code iss sub}) in OAuth mode; {@code null} in anonymous mode
 */
public record ClientToken(String authorization, String caller) {

    /** A request without a client token: the broker's own traffic, or a client that sent no Authorization. */
    public static final ClientToken NONE = new ClientToken(null, null);

    /** The client's token of a request ({@code authorization} may be null); {@code caller} null when anonymous. */
    public static ClientToken of(String authorization, String caller) {
        return authorization == null && caller == null ? NONE : new ClientToken(authorization, caller);
    }

    /** The bearer token, or {@code null} when the header is absent or of another scheme. */
    public String bearer() {
        if (authorization == null || authorization.length() <= 7
                || !authorization.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer ")) {
            return null;
        }
        String token = authorization.substring(7).trim();
        return token.isEmpty() ? null : token;
    }

    /**
     * Whose exchanged tokens these are: the caller in OAuth mode (a refreshed token of the same issuer and subject
     * reuses them); in anonymous mode, where callers cannot be told apart, a hash of the token itself.
     */
    String owner() {
        if (caller != null) {
            return caller;
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(String.valueOf(authorization).getBytes(StandardCharsets.UTF_8));
            return "token " + HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always available", e);
        }
    }

    @Override
    public String toString() {
        return "ClientToken[" + (authorization == null ? "none" : "<redacted>") + (caller == null ? "" : ", " + caller) + "]";
    }
}
