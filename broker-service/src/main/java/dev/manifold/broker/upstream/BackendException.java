package dev.manifold.broker.upstream;

/**
 * A failed exchange with a backend. {@link #permanent()} failures (401/403 without credentials, 404 or 4xx on
 * initialize, a protocol mismatch) are not retried in a storm: the backend is quarantined and re-probed slowly.
 */
public class BackendException extends RuntimeException {

    /** Why the exchange failed, as a bounded metric label. */
    public enum Kind {
        UNREACHABLE, TIMEOUT, HTTP_ERROR, SESSION_EXPIRED, PROTOCOL, UNAUTHORIZED, CLOSED
    }

    private final Kind kind;
    private final int status;

    public BackendException(Kind kind, int status, String message) {
        super(message);
        this.kind = kind;
        this.status = status;
    }

    public BackendException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.status = 0;
    }

    /**
     * {@code what} took longer than its bound. Raised by a Mutiny {@code ifNoItem().after(..)} time-box, which
     * cancels the work it bounds (and so resets its HTTP request); the message is what clients are shown.
     */
    public static BackendException timedOut(String what) {
        return new BackendException(Kind.TIMEOUT, 0, what + " timed out");
    }

    public Kind kind() {
        return kind;
    }

    /** HTTP status, or 0 when the exchange never got one. */
    public int status() {
        return status;
    }

    /** Retrying soon will not help. */
    public boolean permanent() {
        return kind == Kind.UNAUTHORIZED || kind == Kind.PROTOCOL;
    }

    /** A failed exchange as the broker reports it: unreachable, timed out, or failed with the cause's message. */
    static BackendException classify(String url, Throwable failure) {
        if (failure instanceof BackendException be) {
            return be;
        }
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root instanceof java.net.ConnectException || failure instanceof java.net.ConnectException
                || root instanceof java.net.UnknownHostException || root instanceof java.nio.channels.ClosedChannelException) {
            return new BackendException(BackendException.Kind.UNREACHABLE, url + " is unreachable: " + failure.getMessage(), failure);
        }
        if (failure instanceof java.util.concurrent.TimeoutException || root instanceof java.util.concurrent.TimeoutException) {
            return new BackendException(BackendException.Kind.TIMEOUT, url + " timed out: " + failure.getMessage(), failure);
        }
        return new BackendException(BackendException.Kind.UNREACHABLE, url + " failed: " + failure.getMessage(), failure);
    }
}
