package dev.manifold.controller;

import dev.manifold.controller.health.HealthMirror;
import dev.manifold.controller.leader.Leadership;
import dev.manifold.controller.publish.ConfigPublisher;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Starts the config publisher (with its MCPServer view) and the health subscription once this replica leads (at
 * start-up when leader election is off). A standby never publishes.
 */
@ApplicationScoped
public class ControllerStartup {

    void onStart(@Observes StartupEvent event, Leadership leadership, ConfigPublisher publisher, HealthMirror health) {
        leadership.whenLeading(() -> {
            publisher.start();
            health.start();
        });
    }
}
