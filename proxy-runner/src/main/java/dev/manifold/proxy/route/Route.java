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
        return Optional.ofNullable(readyPod(name));
    }

    /** The ready pod of that name, or null (the request path's variant of {@link #pod}: no allocation). */
    public PodTarget readyPod(String name) {
        for (int i = 0, n = readyPods.size(); i < n; i++) {
            PodTarget pod = readyPods.get(i);
            if (pod.name().equals(name)) {
                return pod;
            }
        }
        return null;
    }
}
