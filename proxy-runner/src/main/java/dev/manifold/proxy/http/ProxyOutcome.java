package dev.manifold.proxy.http;

/** The bounded set of request outcomes in {@code manifold_proxy_requests_total{outcome}}. */
enum ProxyOutcome {
    /** Answered by the pinned (or any ready) pod, whatever its status. */
    FORWARDED("forwarded"),
    /** Answered after the session was re-initialized on another pod. */
    REINITIALIZED("reinitialized"),
    /** Unknown or expired session: 404 so the client re-initializes. */
    SESSION_NOT_FOUND("session_not_found"),
    /** The route has no ready pod: 503 with Retry-After. */
    NO_READY_POD("no_ready_pod"),
    /** The session store did not answer: 503 with Retry-After. */
    STORE_UNAVAILABLE("store_unavailable"),
    /** Every connection to the pod stayed busy for the pool wait: 503 with Retry-After, the request not sent. */
    POD_BUSY("pod_busy"),
    /** The pod could not be reached or failed mid-way: 502. */
    BACKEND_UNREACHABLE("backend_unreachable"),
    /** OAuth mode: no valid token (401), a missing scope (403), or too many verifications waiting (503). */
    UNAUTHORIZED("unauthorized"),
    /** A per-session limit (open GET streams): 429. */
    LIMITED("limited"),
    /** Malformed input: 4xx. */
    BAD_REQUEST("bad_request"),
    /** No route at this path: 404. */
    UNKNOWN_ROUTE("unknown_route");

    final String tag;

    ProxyOutcome(String tag) {
        this.tag = tag;
    }
}
