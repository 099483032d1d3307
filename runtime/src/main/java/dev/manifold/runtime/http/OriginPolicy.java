package dev.manifold.runtime.http;

import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * DNS-rebinding protection, the same in the broker and the proxy-runner: a request's {@code Origin} (when it has
 * one) must be a loopback origin or a listed one, and its {@code Host} must be listed, or be a loopback name when
 * the service runs standalone (a laptop), or be anything in a cluster unless hosts are listed. A page on another
 * site that resolves its own name to 127.0.0.1 sends its own Origin and Host, and is refused with 403 before any
 * session work.
 */
public final class OriginPolicy {
    private static final Set<String> LOOPBACK = Set.of("localhost", "127.0.0.1", "::1", "[::1]");

    private final Set<String> origins;
    private final boolean anyOrigin;
    private final Set<String> hosts;
    private final boolean anyHost;
    private final boolean loopbackHostsOnly;

    /**
     * @param allowedOrigins origins allowed besides loopback ones ({@code *}: any)
     * @param allowedHosts   Host names (no port) allowed ({@code *}: any); empty: loopback names only when
     *                       {@code standalone}, any otherwise
     * @param standalone     the service runs from a local file rather than in a cluster
     */
    public OriginPolicy(List<String> allowedOrigins, List<String> allowedHosts, boolean standalone) {
        this.origins = allowedOrigins.stream().map(String::trim).filter(s -> !s.isEmpty()).collect(Collectors.toSet());
        this.anyOrigin = origins.contains("*");
        this.hosts = allowedHosts.stream().map(h -> h.trim().toLowerCase(Locale.ROOT)).filter(s -> !s.isEmpty())
                .collect(Collectors.toSet());
        this.anyHost = hosts.contains("*") || (hosts.isEmpty() && !standalone);
        this.loopbackHostsOnly = hosts.isEmpty() && standalone;
    }

    /** Whether a request with this {@code Origin} header (null: none) may proceed. */
    public boolean originAllowed(String origin) {
        if (origin == null || anyOrigin || origins.contains(origin)) {
            return true;
        }
        try {
            String host = URI.create(origin).getHost();
            return host != null && LOOPBACK.contains(host.toLowerCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** Whether a request with this {@code Host} header (with or without a port) may proceed. */
    public boolean hostAllowed(String hostHeader) {
        if (anyHost) {
            return true;
        }
        if (hostHeader == null || hostHeader.isBlank()) {
            return false;
        }
        return hostNameAllowed(hostName(hostHeader.trim().toLowerCase(Locale.ROOT)));
    }

    /**
     * Whether a request for this host name (no port; what the server parsed from {@code Host} or, over HTTP/2, from
     * {@code :authority}; null when absent) may proceed.
     */
    public boolean hostNameAllowed(String name) {
        if (anyHost) {
            return true;
        }
        if (name == null || name.isBlank()) {
            return false;
        }
        String n = name.toLowerCase(Locale.ROOT);
        return loopbackHostsOnly ? LOOPBACK.contains(n) : hosts.contains(n);
    }

    /** The name of a Host header without its port: {@code [::1]:8080} → {@code [::1]}; null when malformed. */
    static String hostName(String host) {
        if (host.startsWith("[")) {
            int end = host.indexOf(']');
            return end < 0 ? null : host.substring(0, end + 1);
        }
        int colon = host.indexOf(':');
        if (colon >= 0 && host.indexOf(':', colon + 1) >= 0) {
            return null; // an IPv6 address must be bracketed in a Host header
        }
        return colon < 0 ? host : host.substring(0, colon);
    }
}
