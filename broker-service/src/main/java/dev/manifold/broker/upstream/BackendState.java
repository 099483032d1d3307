package dev.manifold.broker.upstream;

import java.util.Locale;

/** Health of one backend as the broker sees it. Runtime state only: it never goes into the config. */
public enum BackendState {
    /** Configured, first connect not finished yet. */
    PENDING,
    /** Initialized and answering probes; its tools are served. */
    READY,
    /** A transient failure; reconnecting with capped exponential backoff. */
    UNHEALTHY,
    /** A permanent failure (auth, wrong endpoint, protocol); re-probed slowly, never in a storm. */
    QUARANTINED,
    /** In the config with {@code enabled: false}: never connected, and never counted as a failure or as pending. */
    DISABLED;

    /** Metric label and display form. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
