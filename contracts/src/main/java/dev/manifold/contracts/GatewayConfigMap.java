package dev.manifold.contracts;

/**
 * The ConfigMap the controller writes the {@link GatewayConfig} to, beside Redis, and the brokers and
 * proxy-runners read when Redis has none. Its name is configurable (each service's {@code config-map-name}, the same
 * default); the key inside it is not.
 */
public final class GatewayConfigMap {

    /** The ConfigMap's name when none is configured. */
    public static final String DEFAULT_NAME = "manifold-config";
    /** The data key holding the canonical config JSON. */
    public static final String KEY = "config.json";

    private GatewayConfigMap() {
    }
}
