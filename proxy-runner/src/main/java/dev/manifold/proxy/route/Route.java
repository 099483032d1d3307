package dev.manifold.proxy.route;

import java.util.List;
import java.util.Optional;

/**
 * A routed server ({@code namespace/name}) and its pods that are ready right now. Immutable: a new set of
 * ready pods is a new Route.
 */
public record Route(String serverId, List<PodTarget> readyPods) {

    public Route {
        readyPods = List.copyOf(readyPods);
    }

    public Optional<PodTarget> pod(String name) {
        for (PodTarget pod : readyPods) {
            if (pod.name().equals(name)) {
                return Optional.of(pod);
            }
        }
        return Optional.empty();
    }
}
