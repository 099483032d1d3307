package dev.manifold.proxy.http;

/**
 * Every pooled connection to a pod stayed busy (open streams and requests in flight) for the whole pool wait: the
 * pod is alive, so this is not pod loss; the client gets 503 with Retry-After and the request is never sent.
 * Without a stack trace: it is an answer, created per request exactly when the proxy is overloaded, and only its
 * message is ever logged (filling in a stack trace walks the stack, which a native executable does slowly).
 */
final class PodBusyException extends RuntimeException {
    PodBusyException(String pod, long waitedMs) {
        super("every connection to pod " + pod + " stayed busy for " + waitedMs + " ms", null, false, false);
    }
}
