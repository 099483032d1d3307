package dev.manifold.controller;

import dev.manifold.controller.health.HealthMirror;
import dev.manifold.controller.publish.ConfigPublisher;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/** Starts the config publisher (with its MCPServer view) and the health subscription with the application. */
@ApplicationScoped
public class ControllerStartup {

    void onStart(@Observes StartupEvent event, ConfigPublisher publisher, HealthMirror health) {
        publisher.start();
        health.start();
    }
}
