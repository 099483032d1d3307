package dev.manifold.proxy.http;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;

/**
 * What crosses the proxy-runner besides the hop-by-hop headers ({@link #isHopByHop}).
 * <ul>
 *   <li>Towards a pod, the caller's credentials stay behind: {@code Authorization} (a token for the gateway, not
 *       for the pod), {@code Cookie}, {@code X-Api-Key}. {@code X-Forwarded-For} gets the caller's address appended
 *       (what came in is kept before it, as a proxy chain does), so a pod never sees only what a client wrote.</li>
 *   <li>Towards the caller, the pod's product banner ({@code X-Powered-By}, {@code Server}) and its CORS answers
 *       ({@code Access-Control-*}) stay behind: which origins may call the gateway is the gateway's decision.</li>
 * </ul>
 * Both checks run for every header of every request, so they dispatch on the name's length, as isHopByHop does.
 */
final class HeaderPolicy {
    static final String X_FORWARDED_FOR = "X-Forwarded-For";

    private HeaderPolicy() {
    }

    /** Headers never forwarded in either direction (hop-by-hop, or set by the proxy itself); see isHopByHop. */
    static final String[] HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate",
            "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "host", "content-length",
            "mcp-session-id"};

    /**
     * Whether a header is hop-by-hop (or one the proxy sets itself): one of {@link #HOP_BY_HOP}, any case. Runs for
     * every header in both directions, so it dispatches on the length and compares at most two names.
     */
    static boolean isHopByHop(String name) {
        return switch (name.length()) {
            case 2 -> name.equalsIgnoreCase("te");
            case 4 -> name.equalsIgnoreCase("host");
            case 7 -> name.equalsIgnoreCase("trailer") || name.equalsIgnoreCase("upgrade");
            case 10 -> name.equalsIgnoreCase("connection") || name.equalsIgnoreCase("keep-alive");
            case 14 -> name.equalsIgnoreCase("content-length") || name.equalsIgnoreCase("mcp-session-id");
            case 17 -> name.equalsIgnoreCase("transfer-encoding");
            case 18 -> name.equalsIgnoreCase("proxy-authenticate");
            case 19 -> name.equalsIgnoreCase("proxy-authorization");
            default -> false;
        };
    }

    /** A client header that is not passed on to the pod (the caller's credentials, and X-Forwarded-For, rewritten). */
    static boolean keptFromPod(String name) {
        return switch (name.length()) {
            case 6 -> name.equalsIgnoreCase("cookie");
            case 9 -> name.equalsIgnoreCase("x-api-key");
            case 13 -> name.equalsIgnoreCase("authorization");
            case 15 -> name.equalsIgnoreCase("x-forwarded-for");
            default -> false;
        };
    }

    /** A pod response header that is not passed on to the caller. */
    static boolean keptFromClient(String name) {
        if (name.length() > 15 && name.regionMatches(true, 0, "access-control-", 0, 15)) {
            return true;
        }
        return switch (name.length()) {
            case 6 -> name.equalsIgnoreCase("server");
            case 12 -> name.equalsIgnoreCase("x-powered-by");
            default -> false;
        };
    }

    /** Sets {@code X-Forwarded-For} on a request to a pod: what the client sent, then the client's address. */
    static void forwardedFor(HttpServerRequest from, MultiMap out) {
        String peer = from.remoteAddress() == null ? null : from.remoteAddress().hostAddress();
        String sent = from.getHeader(X_FORWARDED_FOR);
        if (peer == null) {
            if (sent != null) {
                out.set(X_FORWARDED_FOR, sent);
            }
            return;
        }
        out.set(X_FORWARDED_FOR, sent == null || sent.isBlank() ? peer : sent + ", " + peer);
    }
}
