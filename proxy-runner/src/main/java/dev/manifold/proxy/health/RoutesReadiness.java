package dev.manifold.proxy.health;

import dev.manifold.proxy.route.RouteTable;
import dev.manifold.proxy.route.StandaloneRoutes;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Readiness of the routes: DOWN until a source (routes file or published GatewayConfig) has supplied them.
 * A later invalid routes file keeps the last good routes, stays UP and shows the error.
 */
@Readiness
@ApplicationScoped
public class RoutesReadiness implements HealthCheck {

    private final RouteTable table;
    private final StandaloneRoutes standalone;

    public RoutesReadiness(RouteTable table, StandaloneRoutes standalone) {
        this.table = table;
        this.standalone = standalone;
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder b = HealthCheckResponse.named("routes").status(table.loaded())
                .withData("routes", table.all().size())
                .withData("readyPods", table.all().values().stream().mapToLong(r -> r.readyPods().size()).sum());
        String error = standalone.lastError();
        if (error != null) {
            b.withData("lastError", error);
        }
        return b.build();
    }
}
