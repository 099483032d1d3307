package dev.manifold.controller.health;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * The broker's health record for one server, stored as JSON at {@code <prefix>:health:<namespace/name>}:
 * {@code {"state":"Ready|Pending|Unhealthy|Quarantined","tools":N,"message":"...","since":epochMillis}}.
 * Unknown fields are ignored so the broker can add some.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@RegisterForReflection
public record BackendHealth(String state, Integer tools, String message, Long since) {

    public static final String READY = "Ready";

    public boolean isReady() {
        return READY.equals(state);
    }
}
