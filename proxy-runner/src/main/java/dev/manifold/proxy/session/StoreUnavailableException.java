package dev.manifold.proxy.session;

/** The session store could not be reached in time; the caller answers 503. */
public class StoreUnavailableException extends RuntimeException {
    public StoreUnavailableException(String message) {
        super(message);
    }
}
