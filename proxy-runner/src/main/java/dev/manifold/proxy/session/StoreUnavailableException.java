package dev.manifold.proxy.session;

/**
 * The session store could not be reached in time; the caller answers 503. Without a stack trace: during a Redis
 * outage one is created per request that needs the store, and only its message is ever logged.
 */
public class StoreUnavailableException extends RuntimeException {
    public StoreUnavailableException(String message) {
        super(message, null, false, false);
    }
}
