package dev.manifold.proxy.route;

import java.net.URI;

/**
 * One pod of a route: its stable StatefulSet pod name and the URL of its MCP endpoint. The host is a pod DNS
 * name ({@code echo-0.echo-headless.demo.svc.cluster.local}), never a ClusterIP, so a session pinned to it
 * reaches the same pod after any restart.
 */
public record PodTarget(String name, URI url) {

    public String host() {
        return url.getHost();
    }

    public int port() {
        int port = url.getPort();
        if (port > 0) {
            return port;
        }
        return "https".equals(url.getScheme()) ? 443 : 80;
    }

    public boolean tls() {
        return "https".equals(url.getScheme());
    }

    /** Path plus query, as sent on the wire. */
    public String requestUri() {
        String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
        return url.getRawQuery() == null ? path : path + "?" + url.getRawQuery();
    }
}
