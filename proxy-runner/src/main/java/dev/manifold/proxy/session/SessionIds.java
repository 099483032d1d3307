package dev.manifold.proxy.session;

import jakarta.inject.Singleton;

import java.security.SecureRandom;
import java.util.Base64;

/**
 * Mints and recognises our client-facing session ids: 192 random bits, base64url, 32 characters. The generator
 * is a bean field, created at run time: a static one would be built into the native image heap, which
 * native-image refuses (and which would give every process the same seed).
 */
@Singleton
public class SessionIds {

    private static final int LENGTH = 32;

    private final SecureRandom random = new SecureRandom();

    public String mint() {
        byte[] bytes = new byte[24];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** Whether the value could be an id we minted; anything else is rejected with 400 before any lookup. */
    public static boolean wellFormed(String sid) {
        if (sid == null || sid.length() != LENGTH) {
            return false;
        }
        for (int i = 0; i < LENGTH; i++) {
            char c = sid.charAt(i); // [A-Za-z0-9_-], checked by hand: this runs on every request
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-')) {
                return false;
            }
        }
        return true;
    }
}
