package dev.manifold.contracts;

import com.fasterxml.jackson.annotation.JsonCreator;

import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A reference to a Kubernetes Secret key holding a backend credential. Never the secret value itself:
 * the config is published to a ConfigMap and Redis, and must stay safe to log.
 *
 * @param namespace the Secret's namespace (the MCPServer's own, when the controller publishes it)
 * @param name      the Secret's name
 * @param key       the key inside the Secret
 * @param header    the request header the broker sends the value in; {@code null} means
 *                  {@code Authorization: Bearer <value>}, any other name carries the value as it is
 */
public record CredentialRef(String namespace, String name, String key, String header) {

    /** An HTTP header name (RFC 9110 token), at most 64 characters. */
    public static final String HEADER_PATTERN = "^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$";
    private static final Pattern HEADER = Pattern.compile(HEADER_PATTERN);
    /** Headers the broker sets itself, or that would change how the request is framed or routed. */
    private static final Set<String> RESERVED = Set.of("host", "content-length", "content-type", "transfer-encoding",
            "connection", "accept", "te", "upgrade", "mcp-session-id", "mcp-protocol-version", "mcp-method", "mcp-name",
            "last-event-id", "traceparent", "tracestate");

    @JsonCreator
    public CredentialRef {
        if (name == null || name.isBlank()) {
            throw new ConfigValidationException("credentialRef.name", "must be set");
        }
        if (key == null || key.isBlank()) {
            throw new ConfigValidationException("credentialRef.key", "must be set");
        }
        if (header != null && header.isBlank()) {
            header = null;
        }
        checkHeader("credentialRef.header", header);
    }

    /** A reference sent as {@code Authorization: Bearer <value>}. */
    public CredentialRef(String namespace, String name, String key) {
        this(namespace, name, key, null);
    }

    /**
     * Validates a credential header name ({@code null} is the default, Authorization); {@code field} names it in
     * the error. Used by the published config, the CRD's validation and the standalone file alike.
     */
    public static void checkHeader(String field, String header) {
        if (header == null) {
            return;
        }
        if (!HEADER.matcher(header).matches()) {
            throw new ConfigValidationException(field, "'" + header + "' is not an HTTP header name (" + HEADER_PATTERN + ")");
        }
        if (RESERVED.contains(header.toLowerCase(Locale.ROOT))) {
            throw new ConfigValidationException(field, "'" + header + "' is set by the broker itself; choose another header");
        }
    }
}
