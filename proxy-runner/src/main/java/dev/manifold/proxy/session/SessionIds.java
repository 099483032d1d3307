package dev.manifold.proxy.session;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.regex.Pattern;

/** Mints and recognises our client-facing session ids: 192 random bits, base64url, 32 characters. */
public final class SessionIds {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Pattern FORMAT = Pattern.compile("[A-Za-z0-9_-]{32}");

    private SessionIds() {
    }

    public static String mint() {
        byte[] bytes = new byte[24];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** Whether the value could be an id we minted; anything else is rejected with 400 before any lookup. */
    public static boolean wellFormed(String sid) {
        return sid != null && FORMAT.matcher(sid).matches();
    }
}
