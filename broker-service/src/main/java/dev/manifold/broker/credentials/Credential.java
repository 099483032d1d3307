package dev.manifold.broker.credentials;

/**
 * A resolved credential: the header to send and its value. {@link #toString()} never shows the value, so a
 * credential that reaches a log line by mistake stays secret.
 */
public record Credential(String header, String value) {
    /** The default header. */
    public static final String AUTHORIZATION = "Authorization";

    /** The header and value sent for a raw secret: {@code Authorization: Bearer <raw>}, or {@code <header>: <raw>}. */
    static Credential of(String header, String raw) {
        return header == null ? new Credential(AUTHORIZATION, "Bearer " + raw) : new Credential(header, raw);
    }

    @Override
    public String toString() {
        return "Credential[" + header + ": <redacted>]";
    }
}
