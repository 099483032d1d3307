package dev.manifold.controller;

import dev.manifold.controller.publish.ConfigPublisher;
import dev.manifold.controller.reconciler.MCPServerReconciler;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/** Reads the controller's own counters in tests. */
final class ControllerMetrics {

    private ControllerMetrics() {
    }

    static double publishes(MeterRegistry registry) {
        return registry.get(ConfigPublisher.PUBLISHES_METRIC).counter().count();
    }

    static double reconciles(MeterRegistry registry) {
        return registry.get(MCPServerReconciler.RECONCILES_METRIC).counters().stream().mapToDouble(Counter::count).sum();
    }
}
