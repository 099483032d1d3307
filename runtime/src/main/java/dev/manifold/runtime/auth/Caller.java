package dev.manifold.runtime.auth;

import dev.manifold.contracts.SessionRecord;

import java.util.Set;

/**
 * Who sent a request: the issuer and subject of a verified bearer token, with its scopes, or {@link #ANONYMOUS}
 * when the service runs without authentication. A session belongs to {@link #key()}, so a refreshed token of the
 * same issuer and subject keeps using it, and nobody else can.
 */
public record Caller(String issuer, String subject, Set<String> scopes) {

    public static final Caller ANONYMOUS = new Caller(null, null, Set.of());

    public Caller {
        scopes = scopes == null ? Set.of() : Set.copyOf(scopes);
        if ((issuer == null) != (subject == null)) {
            throw new IllegalArgumentException("a caller has both an issuer and a subject, or neither");
        }
    }

    /** What a session record stores: {@code iss sub} (an issuer URL holds no space), or {@code anonymous}. */
    public String key() {
        return issuer == null ? SessionRecord.ANONYMOUS : issuer + " " + subject;
    }

    /** Whether a session stored with principal {@code stored} is this caller's (null reads as anonymous). */
    public boolean owns(String stored) {
        return key().equals(stored == null || stored.isBlank() ? SessionRecord.ANONYMOUS : stored);
    }
}
