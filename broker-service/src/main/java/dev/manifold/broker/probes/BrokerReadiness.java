package dev.manifold.broker.probes;

import dev.manifold.broker.catalog.Aggregator;
import dev.manifold.broker.upstream.Backend;
import dev.manifold.broker.upstream.BackendState;
import dev.manifold.broker.upstream.BackendSupervisor;
import dev.manifold.broker.settings.BrokerConfig;
import dev.manifold.broker.gateway.ConfigApplier;
import dev.manifold.broker.gateway.RedisConfigSource;
import dev.manifold.broker.gateway.StandaloneConfigSource;
import dev.manifold.contracts.GatewayConfig;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

import java.util.Comparator;
import java.util.List;

/**
 * Ready once a first config is applied and its backends have had their first connect attempt (at most
 * {@code readiness-discovery-wait}), even if some are down (they are reported, not fatal); then stays ready, also
 * when Redis goes away (the applied config stays in force) or a later config adds backends. Reports the config
 * source, Redis state (Kubernetes mode), the applied version, the last config problem, whether the first discovery
 * is done, backend counts per state, and the enabled servers that are not Ready (the culprits).
 */
@Readiness
@ApplicationScoped
public class BrokerReadiness implements HealthCheck {

    /** How many not-Ready backends the readiness details name; the rest are counted. */
    static final int NOT_READY_LISTED = 50;

    private final ConfigApplier applier;
    private final StandaloneConfigSource standalone;
    private final RedisConfigSource redisSource;
    private final BackendSupervisor supervisor;
    private final Aggregator aggregator;
    private final long discoveryWaitNanos;
    /** Set once, when the first config's backends have all had their first connect attempt (or the wait ran out). */
    private volatile boolean discovered;

    public BrokerReadiness(ConfigApplier applier, StandaloneConfigSource standalone, RedisConfigSource redisSource,
                           BackendSupervisor supervisor, Aggregator aggregator, BrokerConfig config) {
        this.discoveryWaitNanos = config.readinessDiscoveryWait().toNanos();
        this.applier = applier;
        this.standalone = standalone;
        this.redisSource = redisSource;
        this.supervisor = supervisor;
        this.aggregator = aggregator;
    }

    @Override
    public HealthCheckResponse call() {
        GatewayConfig applied = applier.applied();
        HealthCheckResponseBuilder builder = HealthCheckResponse.named("manifold-broker-config");
        builder.withData("source", standalone.active() ? "file" : "redis");
        if (redisSource.active()) {
            builder.withData("redis", redisSource.redisUp() ? "up" : "down");
        }
        if (applied != null) {
            builder.withData("version", applied.version());
        }
        String lastError = standalone.active() ? standalone.lastError() : redisSource.lastError();
        if (lastError != null) {
            builder.withData("lastRejection", lastError);
        }
        for (BackendState state : BackendState.values()) {
            builder.withData("backends." + state.label(), supervisor.all().stream().filter(b -> b.state() == state).count());
        }
        notReady(builder);
        builder.withData("tools", aggregator.catalog().size());
        boolean discoveryDone = applied != null && discoveryDone();
        builder.withData("discovery", discoveryDone ? "done" : "pending");
        return builder.status(discoveryDone).build();
    }

    /**
     * Names the culprits: {@code notReady.<server>} = "state: last error" for each enabled backend that is not Ready,
     * sorted by id, at most {@value #NOT_READY_LISTED}, then {@code notReady.more} with the rest's count. Only the
     * backend's error message is shown, which never carries a credential or a header value.
     */
    private void notReady(HealthCheckResponseBuilder builder) {
        List<Backend> down = supervisor.all().stream()
                .filter(b -> b.state() != BackendState.READY && b.state() != BackendState.DISABLED)
                .sorted(Comparator.comparing(Backend::id))
                .toList();
        for (Backend b : down.subList(0, Math.min(NOT_READY_LISTED, down.size()))) {
            String error = b.lastError();
            builder.withData("notReady." + b.id(), b.state().label() + (error == null ? "" : ": " + error));
        }
        if (down.size() > NOT_READY_LISTED) {
            builder.withData("notReady.more", down.size() - NOT_READY_LISTED);
        }
    }

    /** Whether no enabled backend is still on its first connect attempt, or the wait for them ran out. */
    private boolean discoveryDone() {
        if (discovered) {
            return true;
        }
        boolean pending = supervisor.all().stream()
                .anyMatch(b -> b.entry().isEnabled() && b.state() == BackendState.PENDING);
        if (!pending || System.nanoTime() - applier.firstAppliedNanos() >= discoveryWaitNanos) {
            discovered = true;
        }
        return discovered;
    }
}
