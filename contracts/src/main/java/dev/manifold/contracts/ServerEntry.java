package dev.manifold.contracts;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.regex.Pattern;

/**
 * One MCP server in the published {@link GatewayConfig}. Identity is {@code id} ({@code namespace/name} in
 * Kubernetes, a plain name in standalone mode), never the URL: several entries may share one URL.
 *
 * @param id           unique server id
 * @param toolPrefix   prefix applied to the server's tool, prompt and resource names; may be empty
 * @param url          the MCP endpoint (Streamable HTTP); required unless the controller runs a {@code workload}
 * @param enabled      a disabled server is kept in the config but not connected
 * @param toolFilter   glob filters over the server's own tool names; {@code null} when it lets everything through
 * @param credentialRef where the credential lives; never the credential itself
 * @param protocolHint optional protocol version to prefer with this backend, for example {@code 2026-07-28}
 * @param workload     set when the controller runs the server as a StatefulSet
 * @param authPassthrough {@code true}: a client's requests to this server carry the client's own
 *                     {@code Authorization} header; absent (or false, which is written as absent, so that both hash
 *                     alike) means it is never forwarded
 * @param tokenExchange set when a client's requests to this server carry a token obtained for this server by an
 *                     RFC 8693 token exchange of the client's bearer token; never together with {@code authPassthrough}
 */
public record ServerEntry(String id, String toolPrefix, String url, Boolean enabled, ToolFilter toolFilter,
                          CredentialRef credentialRef, String protocolHint, Workload workload,
                          Boolean authPassthrough, TokenExchange tokenExchange) {

    /** Ids are a name, or namespace/name, of DNS-label-like characters. */
    public static final Pattern ID = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9._-]{0,252})(/[A-Za-z0-9][A-Za-z0-9._-]{0,252})?");
    /**
     * The one tool-prefix rule, for the CRD's schema (an annotation needs a constant), the controller's validation,
     * the standalone file and the published config: lower-case letters, digits and {@code _}, not starting with
     * {@code _}, at most {@value #PREFIX_MAX_LENGTH} characters. Empty or absent means no prefix.
     */
    public static final String PREFIX_PATTERN = "^[a-z0-9][a-z0-9_]*$";
    public static final int PREFIX_MAX_LENGTH = 32;
    public static final Pattern PREFIX = Pattern.compile(PREFIX_PATTERN);
    /** What a user is told when a prefix breaks the rule. */
    public static final String PREFIX_RULE = "must match " + PREFIX_PATTERN + " (at most " + PREFIX_MAX_LENGTH
            + " characters)";

    /** Whether a non-empty prefix follows the rule. */
    public static boolean validPrefix(String prefix) {
        return prefix.length() <= PREFIX_MAX_LENGTH && PREFIX.matcher(prefix).matches();
    }

    @JsonCreator
    public ServerEntry {
        checkId("id", id);
        if (toolPrefix == null) {
            toolPrefix = "";
        }
        checkPrefix(toolPrefix);
        if (enabled == null) {
            enabled = Boolean.TRUE;
        }
        if (toolFilter != null && toolFilter.isOpen()) {
            toolFilter = null;
        }
        if (protocolHint != null && protocolHint.isBlank()) {
            protocolHint = null;
        }
        if (url == null || url.isBlank()) {
            if (workload == null) {
                throw new ConfigValidationException("url", "must be set for a server without a workload");
            }
            url = null;
        } else {
            checkUrl(url);
        }
        if (Boolean.FALSE.equals(authPassthrough)) {
            authPassthrough = null;
        }
        checkClientAuth(authPassthrough != null, tokenExchange != null, workload != null);
    }

    /** An entry without client-token settings (the broker never forwards the client's Authorization to it). */
    public ServerEntry(String id, String toolPrefix, String url, Boolean enabled, ToolFilter toolFilter,
                       CredentialRef credentialRef, String protocolHint, Workload workload) {
        this(id, toolPrefix, url, enabled, toolFilter, credentialRef, protocolHint, workload, null, null);
    }

    /**
     * The rules on a client's token toward a server, for the published config, the CRD's validation and the
     * standalone file alike: passthrough or exchange, not both, and neither for a workload server (its pods are
     * reached through the proxy-runner, which never forwards credentials to a pod).
     */
    public static void checkClientAuth(boolean passthrough, boolean exchange, boolean workload) {
        if (passthrough && exchange) {
            throw new ConfigValidationException("authPassthrough", "cannot be combined with tokenExchange: a server "
                    + "gets the client's token as it is, or a token exchanged for it, not both");
        }
        if (workload && (passthrough || exchange)) {
            throw new ConfigValidationException(passthrough ? "authPassthrough" : "tokenExchange", "is not supported "
                    + "for a workload server: its pods are reached through the proxy-runner, which never forwards "
                    + "credentials to a pod");
        }
    }

    /** Whether a client's requests to this server carry the client's token (as it is, or exchanged). */
    @JsonIgnore
    public boolean usesClientToken() {
        return authPassthrough != null || tokenExchange != null;
    }

    /** Validates a server id; {@code field} names it in the error (it is {@code name} in the standalone file). */
    public static void checkId(String field, String id) {
        if (id == null || id.isBlank()) {
            throw new ConfigValidationException(field, "must be set");
        }
        if (!ID.matcher(id).matches()) {
            throw new ConfigValidationException(field, "'" + id + "' is not a valid id (name or namespace/name)");
        }
    }

    /** Validates a tool prefix ({@code null} means none). */
    public static void checkPrefix(String toolPrefix) {
        if (toolPrefix != null && !toolPrefix.isEmpty() && !validPrefix(toolPrefix)) {
            throw new ConfigValidationException("toolPrefix", "'" + toolPrefix + "' " + PREFIX_RULE);
        }
    }

    /** Whether the broker should connect to this server. */
    @JsonIgnore
    public boolean isEnabled() {
        return enabled;
    }

    /** The filter to apply; an open filter when none is configured. */
    @JsonIgnore
    public ToolFilter effectiveFilter() {
        return toolFilter == null ? new ToolFilter(null, null) : toolFilter;
    }

    /** Validates an MCP endpoint URL: absolute http or https with a host. */
    public static void checkUrl(String url) {
        checkUrl("url", url);
    }

    /** Validates an absolute http or https URL with a host; {@code field} names it in the error. */
    public static void checkUrl(String field, String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new ConfigValidationException(field, "'" + url + "' is not a valid URL: " + e.getReason());
        }
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
            throw new ConfigValidationException(field, "'" + url + "' must be an http or https URL");
        }
        if (uri.getHost() == null || uri.getHost().isBlank()) {
            throw new ConfigValidationException(field, "'" + url + "' has no host");
        }
    }
}
