package dev.manifold.proxy.http;

/** A pod could not be connected to (refused, unresolvable, timed out): treated as pod loss. */
final class BackendUnreachableException extends RuntimeException {
    BackendUnreachableException(String pod, Throwable cause) {
        super("pod " + pod + " is unreachable: " + cause.getMessage(), cause);
    }
}
