package dev.manifold.proxy.health;

import dev.manifold.proxy.ProxyConfig;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;

/**
 * Readiness of the heap: DOWN while a heap pool, as measured after the last garbage collection, is fuller than
 * {@code heap-ready-threshold} of its maximum. Memory that a collection cannot free is what precedes an
 * {@code OutOfMemoryError}; a replica in that state stops getting new traffic instead of failing its sessions.
 * (Usage before a collection says nothing: a busy heap is normally near full between collections.) It is in the
 * {@code serving} group too, which the Kubernetes readiness probe asks.
 */
@Readiness
@io.smallrye.health.api.HealthGroup(RoutesReadiness.SERVING_GROUP)
@ApplicationScoped
public class HeapReadiness implements HealthCheck {

    private final double threshold;

    public HeapReadiness(ProxyConfig config) {
        this.threshold = config.heapReadyThreshold();
    }

    @Override
    public HealthCheckResponse call() {
        double fullest = 0;
        String pool = "none";
        for (MemoryPoolMXBean bean : ManagementFactory.getMemoryPoolMXBeans()) {
            if (bean.getType() != MemoryType.HEAP || !bean.isCollectionUsageThresholdSupported()) {
                continue;
            }
            double ratio = ratio(bean.getCollectionUsage());
            if (ratio > fullest) {
                fullest = ratio;
                pool = bean.getName();
            }
        }
        return HealthCheckResponse.named("heap").status(ready(fullest, threshold))
                .withData("fullestPoolAfterGc", pool)
                .withData("usedAfterGcPercent", Math.round(fullest * 100)).build();
    }

    /** used / max of a pool after its last collection; 0 when unknown (no collection yet, no maximum). */
    static double ratio(MemoryUsage afterGc) {
        if (afterGc == null || afterGc.getMax() <= 0) {
            return 0;
        }
        return (double) afterGc.getUsed() / afterGc.getMax();
    }

    static boolean ready(double usedAfterGcRatio, double threshold) {
        return usedAfterGcRatio <= threshold;
    }
}
