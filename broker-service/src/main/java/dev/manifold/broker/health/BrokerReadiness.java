package dev.manifold.broker.health;

import dev.manifold.broker.aggregate.Aggregator;
import dev.manifold.broker.backend.BackendState;
import dev.manifold.broker.backend.BackendSupervisor;
import dev.manifold.broker.config.ConfigApplier;
import dev.manifold.broker.config.RedisConfigSource;
import dev.manifold.broker.config.StandaloneConfigSource;
import dev.manifold.contracts.GatewayConfig;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready once a first config is applied, even if some backends are down (they are reported, not fatal), and
 * stays ready if Redis goes away later (the applied config stays in force). Reports the config source, Redis
 * state (Kubernetes mode), the applied version, the last config problem, and backend counts per state.
 */
@Readiness
@ApplicationScoped
public class BrokerReadiness implements HealthCheck {

    private final ConfigApplier applier;
    private final StandaloneConfigSource standalone;
    private final RedisConfigSource redisSource;
    private final BackendSupervisor supervisor;
    private final Aggregator aggregator;

    public BrokerReadiness(ConfigApplier applier, StandaloneConfigSource standalone, RedisConfigSource redisSource,
                           BackendSupervisor supervisor, Aggregator aggregator) {
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
        builder.withData("tools", aggregator.catalog().size());
        return builder.status(applied != null).build();
    }
}
