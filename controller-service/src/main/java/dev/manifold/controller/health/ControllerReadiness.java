package dev.manifold.controller.health;

import dev.manifold.controller.claims.ServerIndex;
import dev.manifold.controller.publish.ConfigPublisher;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready when the MCPServer watch is running and a config has been published or confirmed. */
@Readiness
@ApplicationScoped
public class ControllerReadiness implements HealthCheck {

    private final ServerIndex index;
    private final ConfigPublisher publisher;

    public ControllerReadiness(ServerIndex index, ConfigPublisher publisher) {
        this.index = index;
        this.publisher = publisher;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("manifold-controller")
                .status(index.isWatching() && publisher.published().isPresent())
                .withData("watching", index.isWatching())
                .withData("configVersion", publisher.published().map(c -> c.version()).orElse("none"))
                .build();
    }
}
