package dev.manifold.controller.config;

import dev.manifold.contracts.GatewayConfigMap;
import dev.manifold.contracts.PrefixMode;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** Every setting of the controller-service, under {@code manifold.controller}. */
@ConfigMapping(prefix = "manifold.controller")
public interface ControllerConfig {

    /** Namespace of the ConfigMap {@code manifold-config}; defaults to the namespace the controller runs in. */
    Optional<String> namespace();

    /** Name of the ConfigMap holding the published GatewayConfig. */
    @WithDefault(GatewayConfigMap.DEFAULT_NAME)
    String configMapName();

    /** Key prefix of every Redis key and channel, so several installs can share one Redis. */
    @WithDefault("manifold")
    String redisPrefix();

    /** How the broker names aggregated tools; decides whether {@code toolPrefix} is required (always) or optional. */
    @WithDefault("always")
    String prefixMode();

    /** Quiet time after an MCPServer change before the config is rebuilt, so a burst of changes publishes once. */
    @WithDefault("200ms")
    Duration publishDebounce();

    /**
     * How often the published config is compared with the ConfigMap and Redis (rewritten only if they drifted)
     * and every MCPServer is re-reconciled to re-read its health; pub/sub is only a hint.
     */
    @WithDefault("5m")
    Duration resyncInterval();

    /**
     * Watch the Services and (where the Gateway API is served, see {@link #gatewayApi()}) HTTPRoutes that
     * {@code targetRef}s name, so a change re-resolves the URL at once; off, targets are re-resolved on every resync.
     */
    @WithDefault("true")
    boolean watchTargets();

    /**
     * Whether the cluster serves the Gateway API's HTTPRoute ({@code gateway.networking.k8s.io/v1}): {@code auto}
     * asks the API server's discovery once at start-up (no extra RBAC), {@code true}/{@code false} skip the check.
     * Without it, HTTPRoutes are not watched and an MCPServer with an HTTPRoute target is not Accepted (reason
     * {@code GatewayApiMissing}).
     */
    @WithDefault("auto")
    String gatewayApi();

    /** DNS domain of the cluster, used to build Service URLs. */
    @WithDefault("cluster.local")
    String clusterDomain();

    /** Pod labels ({@code k=v,k=v}) of the proxy-runner; the workload NetworkPolicy admits these pods. */
    @WithDefault("app.kubernetes.io/name=manifold-proxy-runner")
    String proxyRunnerLabels();

    /** Pod labels ({@code k=v,k=v}) of the broker; the workload NetworkPolicy admits these pods. */
    @WithDefault("app.kubernetes.io/name=manifold-broker")
    String brokerLabels();

    /**
     * Rate-limit window for Events: at most 5 per MCPServer and condition within it; a condition that flaps faster
     * has the rest counted in manifold_controller_events_suppressed_total.
     */
    @WithDefault("30s")
    Duration eventInterval();

    /** Leader election among controller replicas: only the leader reconciles and publishes. */
    LeaderElection leaderElection();

    /** Lease-based leader election (JOSDK, a coordination.k8s.io Lease in the install namespace). */
    interface LeaderElection {
        /**
         * Elect a leader through a Lease before reconciling or publishing anything. Leave on whenever more than one
         * replica may run (also during a rolling update); off, every replica reconciles and publishes.
         */
        @WithDefault("true")
        boolean enabled();

        /** Name of the Lease, in the install namespace. */
        @WithDefault("manifold-controller")
        String leaseName();

        /** How long a lease is valid without renewal: a standby takes over at most this long after the leader dies. */
        @WithDefault("15s")
        Duration leaseDuration();

        /** How long the leader keeps trying to renew before it gives up leadership (and exits to be restarted). */
        @WithDefault("10s")
        Duration renewDeadline();

        /** How often candidates retry to acquire, and the leader to renew. */
        @WithDefault("2s")
        Duration retryPeriod();

        /** This replica's identity in the Lease; default: the pod name (HOSTNAME) plus a random suffix. */
        Optional<String> identity();
    }

    /** Parses a {@code k=v,k=v} label list into a sorted map. */
    static Map<String, String> labels(String list) {
        Map<String, String> labels = new TreeMap<>();
        for (String pair : list.split(",")) {
            if (pair.isBlank()) {
                continue;
            }
            int eq = pair.indexOf('=');
            if (eq < 1) {
                throw new IllegalArgumentException("label '" + pair + "' must be key=value");
            }
            labels.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
        }
        return labels;
    }

    /** The prefix mode as the contracts type. */
    default PrefixMode mode() {
        return PrefixMode.fromWire(prefixMode());
    }
}
