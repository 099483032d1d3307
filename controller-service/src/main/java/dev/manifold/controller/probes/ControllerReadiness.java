package dev.manifold.controller.probes;

import dev.manifold.controller.claims.ServerIndex;
import dev.manifold.controller.publish.ConfigPublisher;
import dev.manifold.controller.leader.Leadership;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * The leader is ready when the MCPServer watch is running and a config has been published or confirmed. A standby
 * (leader election on, another replica holds the lease) is ready as it is: it writes nothing and takes over when
 * the lease expires, and marking it unready would only stall rollouts and disruption budgets.
 */
@Readiness
@ApplicationScoped
public class ControllerReadiness implements HealthCheck {

    private final ServerIndex index;
    private final ConfigPublisher publisher;
    private final Leadership leadership;

    public ControllerReadiness(ServerIndex index, ConfigPublisher publisher, Leadership leadership) {
        this.index = index;
        this.publisher = publisher;
        this.leadership = leadership;
    }

    @Override
    public HealthCheckResponse call() {
        if (!leadership.leading()) {
            return HealthCheckResponse.named("manifold-controller").up().withData("role", "standby").build();
        }
        return HealthCheckResponse.named("manifold-controller")
                .withData("role", "leader")
                .status(index.isWatching() && publisher.published().isPresent())
                .withData("watching", index.isWatching())
                .withData("configVersion", publisher.published().map(c -> c.version()).orElse("none"))
                .build();
    }
}
