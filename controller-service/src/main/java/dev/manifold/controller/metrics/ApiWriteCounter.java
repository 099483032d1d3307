package dev.manifold.controller.metrics;

import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The one place every Kubernetes API write of the controller is counted: an HTTP interceptor on the
 * controller's only {@code KubernetesClient}, so no write (reconciler, dependent, publisher, event) can
 * bypass {@code manifold_controller_api_writes_total{kind,verb}}. Reads are not counted. It never changes a request.
 */
@ApplicationScoped
public class ApiWriteCounter implements Interceptor {

    public static final String METRIC = "manifold_controller_api_writes_total";

    /** Resource kinds the controller writes; anything else is counted as {@code other} to keep labels bounded. */
    private static final Set<String> KNOWN_KINDS = Set.of("mcpservers", "mcpservers/status", "configmaps", "events",
            "statefulsets", "services", "networkpolicies", "leases");

    private final MeterRegistry registry;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();

    public ApiWriteCounter(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
        String verb = verb(request.method());
        if (verb == null) {
            return;
        }
        String kind = kind(request.uri().getPath());
        counters.computeIfAbsent(kind + "|" + verb, k -> Counter.builder(METRIC)
                .description("Kubernetes API writes made by the controller")
                .tag("kind", kind).tag("verb", verb).register(registry)).increment();
    }

    /** Total writes so far, all kinds and verbs. */
    public double total() {
        return counters.values().stream().mapToDouble(Counter::count).sum();
    }

    /** Writes so far to one kind (plural resource name, {@code mcpservers/status} for status). */
    public double total(String kind) {
        return counters.entrySet().stream().filter(e -> e.getKey().startsWith(kind + "|"))
                .mapToDouble(e -> e.getValue().count()).sum();
    }

    /** Writes so far to one kind with one verb. */
    public double total(String kind, String verb) {
        Counter c = counters.get(kind + "|" + verb);
        return c == null ? 0 : c.count();
    }

    static String verb(String method) {
        return switch (method.toUpperCase(Locale.ROOT)) {
            case "POST" -> "create";
            case "PUT" -> "update";
            case "PATCH" -> "patch";
            case "DELETE" -> "delete";
            default -> null;
        };
    }

    /** {@code /apis/apps/v1/namespaces/ns/statefulsets/name} is {@code statefulsets}; status sub-resources keep the suffix. */
    static String kind(String path) {
        String[] parts = path.split("/");
        int start = path.startsWith("/api/") ? 3 : 4;
        if (parts.length > start + 1 && "namespaces".equals(parts[start])) {
            start += 2;
        }
        if (parts.length <= start) {
            return "other";
        }
        String kind = parts[start];
        if (parts.length > start + 2 && "status".equals(parts[start + 2])) {
            kind += "/status";
        }
        return KNOWN_KINDS.contains(kind) ? kind : "other";
    }
}
