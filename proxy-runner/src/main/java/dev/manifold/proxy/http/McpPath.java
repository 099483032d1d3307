package dev.manifold.proxy.http;

import io.vertx.core.http.impl.HttpUtils;
import io.vertx.core.net.impl.URIDecoder;

/**
 * Recognises {@code /{namespace}/{name}/mcp} without a regex: the hot path only scans the path for its two
 * slashes. Matches exactly what the former vertx-web route {@code ^/([^/]+)/([^/]+)/mcp$} matched: the path is
 * normalized first (dot segments removed, percent-encoded unreserved characters decoded, as vertx-web does) and
 * each segment is then percent-decoded (as vertx-web's path parameters were). A decoded segment may so contain a
 * {@code /} ({@code %2F}); the resulting id is never a routed one, and the request gets the JSON-RPC 404 for an
 * unknown route, as before.
 */
final class McpPath {

    private static final String SUFFIX = "/mcp";

    private McpPath() {
    }

    /** The server id {@code namespace/name} the path addresses, or null when it is not an MCP endpoint path. */
    static String serverId(String path) {
        if (path == null) {
            return null;
        }
        if (path.indexOf('%') >= 0 || path.indexOf('.') >= 0 || path.isEmpty() || path.charAt(0) != '/') {
            String normalized;
            try {
                normalized = HttpUtils.normalizePath(path);
            } catch (IllegalArgumentException e) {
                return null; // malformed escape: the router answers it (400), as before
            }
            return slow(normalized);
        }
        int end = nameEnd(path);
        // Nothing to decode or normalize: the id is the path between its leading slash and "/mcp".
        return end < 0 ? null : path.substring(1, end);
    }

    /** Index of the slash before "mcp" when the path has exactly the shape /x/y/mcp (x, y non-empty), else -1. */
    private static int nameEnd(String path) {
        int length = path.length();
        if (length < 1 + 1 + 1 + 1 + SUFFIX.length() || path.charAt(0) != '/' || !path.endsWith(SUFFIX)) {
            return -1;
        }
        int namespaceEnd = path.indexOf('/', 1);
        if (namespaceEnd <= 1) {
            return -1; // empty namespace
        }
        int nameEnd = path.indexOf('/', namespaceEnd + 1);
        if (nameEnd != length - SUFFIX.length() || nameEnd == namespaceEnd + 1) {
            return -1; // more segments, or an empty name
        }
        return nameEnd;
    }

    private static String slow(String normalized) {
        int end = nameEnd(normalized);
        if (end < 0) {
            return null;
        }
        int namespaceEnd = normalized.indexOf('/', 1);
        try {
            return URIDecoder.decodeURIComponent(normalized.substring(1, namespaceEnd), false) + '/'
                    + URIDecoder.decodeURIComponent(normalized.substring(namespaceEnd + 1, end), false);
        } catch (IllegalArgumentException e) {
            return null; // malformed escape: vertx-web failed such a request, it never reached a route
        }
    }
}
