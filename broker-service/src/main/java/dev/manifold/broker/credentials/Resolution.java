package dev.manifold.broker.credentials;

/** What the broker sends to one backend URL. */
public sealed interface Resolution {

    /** No credential is configured for the URL: the request goes without one. */
    record None() implements Resolution {
    }

    /** The credential to send; {@code source} says where it came from (for a 401's message, never the value). */
    record Ready(Credential credential, String source) implements Resolution {
    }

    /**
     * A credential is configured but cannot be read (a missing Secret or key, an unset variable, an unreadable
     * file): the request is not sent, and the backend is quarantined with {@code reason} until it can be read.
     */
    record Missing(String reason) implements Resolution {
    }

    Resolution NONE = new None();
}
