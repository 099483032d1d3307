package dev.manifold.proxy.route;

import jakarta.inject.Singleton;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The routes currently served, swapped atomically by whichever source owns them (routes file or Kubernetes).
 * Replacing the table never touches sessions: a session whose pod is still listed keeps flowing, one whose pod
 * left is re-initialized on its next request.
 */
@Singleton
public class RouteTable {

    private final AtomicReference<Map<String, Route>> routes = new AtomicReference<>(Map.of());
    private volatile boolean loaded;

    public Optional<Route> route(String serverId) {
        return Optional.ofNullable(routes.get().get(serverId));
    }

    /** The route, or null (the request path's variant of {@link #route}: no allocation). */
    public Route routeOrNull(String serverId) {
        return routes.get().get(serverId);
    }

    public Map<String, Route> all() {
        return routes.get();
    }

    public void replace(Map<String, Route> next) {
        routes.set(Map.copyOf(next));
        loaded = true;
    }

    /** Whether any source has supplied routes yet (readiness). */
    public boolean loaded() {
        return loaded;
    }
}
