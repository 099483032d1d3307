package dev.manifold.proxy.health;

import dev.manifold.proxy.route.KubernetesRoutes;
import dev.manifold.proxy.route.RouteTable;
import dev.manifold.proxy.route.StandaloneRoutes;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import io.smallrye.health.api.HealthGroup;
import org.eclipse.microprofile.health.Readiness;

/**
 * Readiness of the routes: DOWN until a source (routes file or published GatewayConfig) has supplied them.
 * A later invalid routes file keeps the last good routes, stays UP and shows the error. In Kubernetes mode it is
 * also DOWN until every EndpointSlice informer has completed its initial list.
 *
 * <p>It is also a check of the {@code serving} group (with the heap check) ({@code /q/health/group/serving}), which the
 * Kubernetes readiness probe uses: a Redis outage makes {@code /q/health/ready} DOWN (the session store check), but
 * must not take every replica out of the Service, because cached sessions keep flowing without Redis.
 */
@Readiness
@HealthGroup(RoutesReadiness.SERVING_GROUP)
@ApplicationScoped
public class RoutesReadiness implements HealthCheck {

    /** The health group the Kubernetes readiness probe asks: can this replica serve traffic at all. */
    public static final String SERVING_GROUP = "serving";

    private final RouteTable table;
    private final StandaloneRoutes standalone;
    private final KubernetesRoutes kubernetes;

    public RoutesReadiness(RouteTable table, StandaloneRoutes standalone, KubernetesRoutes kubernetes) {
        this.table = table;
        this.standalone = standalone;
        this.kubernetes = kubernetes;
    }

    @Override
    public HealthCheckResponse call() {
        boolean up = table.loaded() && (!kubernetes.active() || kubernetes.informersSynced());
        HealthCheckResponseBuilder b = HealthCheckResponse.named("routes").status(up)
                .withData("routes", table.all().size())
                .withData("readyPods", table.all().values().stream().mapToLong(r -> r.readyPods().size()).sum());
        if (kubernetes.active()) {
            b.withData("mode", "kubernetes").withData("informersSynced", kubernetes.informersSynced());
            if (kubernetes.version() != null) {
                b.withData("configVersion", kubernetes.version()).withData("configSource", kubernetes.source());
            }
        } else {
            b.withData("mode", "standalone");
        }
        String error = kubernetes.active() ? kubernetes.lastError() : standalone.lastError();
        if (error != null) {
            b.withData("lastError", error);
        }
        return b.build();
    }
}
