package dev.manifold.proxy.http;

/**
 * A pod could not be connected to (refused, unresolvable, timed out): treated as pod loss. Without a stack trace
 * of its own (control flow, per request while a pod is down; its cause keeps the transport's).
 */
final class BackendUnreachableException extends RuntimeException {
    BackendUnreachableException(String pod, Throwable cause) {
        super("pod " + pod + " is unreachable: " + cause.getMessage(), cause, false, false);
    }
}
