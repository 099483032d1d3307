package dev.manifold.contracts;

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
 */
public record ServerEntry(String id, String toolPrefix, String url, Boolean enabled, ToolFilter toolFilter,
                          CredentialRef credentialRef, String protocolHint, Workload workload) {

    /** Ids are a name, or namespace/name, of DNS-label-like characters. */
    public static final Pattern ID = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9._-]{0,252})(/[A-Za-z0-9][A-Za-z0-9._-]{0,252})?");
    /** Prefixes become part of tool names, which must match [A-Za-z0-9_-]{1,64}. */
    public static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9_-]{0,32}");

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
        if (toolPrefix != null && !PREFIX.matcher(toolPrefix).matches()) {
            throw new ConfigValidationException("toolPrefix",
                    "'" + toolPrefix + "' must match [A-Za-z0-9_-]{0,32}");
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
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new ConfigValidationException("url", "'" + url + "' is not a valid URL: " + e.getReason());
        }
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
            throw new ConfigValidationException("url", "'" + url + "' must be an http or https URL");
        }
        if (uri.getHost() == null || uri.getHost().isBlank()) {
            throw new ConfigValidationException("url", "'" + url + "' has no host");
        }
    }
}
