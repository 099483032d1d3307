package dev.manifold.controller.dependent;

import dev.manifold.controller.api.v1alpha1.WorkloadSpec;

import java.util.Map;
import java.util.TreeMap;

/** Names, labels and defaults shared by the workload dependents and the published config. */
public final class WorkloadNames {

    public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    public static final String MANAGED_BY_VALUE = "manifold";
    public static final String MANAGED_BY_SELECTOR = MANAGED_BY + "=" + MANAGED_BY_VALUE;
    public static final String SERVER_LABEL = "mcp.manifold.dev/server";
    public static final String CONFIG_HASH = "mcp.manifold.dev/config-hash";

    private WorkloadNames() {
    }

    /** The headless Service giving each StatefulSet pod a DNS record. */
    public static String headlessService(String serverName) {
        return serverName + "-headless";
    }

    public static int port(WorkloadSpec w) {
        return w.getPort() == null ? 8080 : w.getPort();
    }

    public static String path(WorkloadSpec w) {
        return w.getPath() == null ? "/mcp" : w.getPath();
    }

    /** Resources of a workload container that names none: small, with a memory limit so a leak cannot take a node. */
    public static io.fabric8.kubernetes.api.model.ResourceRequirements defaultResources() {
        return new io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder()
                .addToRequests("cpu", new io.fabric8.kubernetes.api.model.Quantity("100m"))
                .addToRequests("memory", new io.fabric8.kubernetes.api.model.Quantity("128Mi"))
                .addToLimits("memory", new io.fabric8.kubernetes.api.model.Quantity("512Mi"))
                .build();
    }

    /**
     * Readiness of a workload pod: an HTTP GET of {@code readinessPath} on the MCP port when the user names one, else
     * a TCP connect to the MCP port (an MCP endpoint answers a bare GET with 4xx, so it cannot be probed as HTTP).
     * The proxy-runner routes only to ready pods.
     */
    public static io.fabric8.kubernetes.api.model.Probe readinessProbe(WorkloadSpec w) {
        io.fabric8.kubernetes.api.model.ProbeBuilder probe = new io.fabric8.kubernetes.api.model.ProbeBuilder()
                .withPeriodSeconds(5).withFailureThreshold(3).withTimeoutSeconds(2);
        io.fabric8.kubernetes.api.model.IntOrString port = new io.fabric8.kubernetes.api.model.IntOrString("mcp");
        if (w.getReadinessPath() != null && !w.getReadinessPath().isBlank()) {
            probe.withNewHttpGet().withPath(w.getReadinessPath()).withPort(port).endHttpGet();
        } else {
            probe.withNewTcpSocket().withPort(port).endTcpSocket();
        }
        return probe.build();
    }

    public static int replicas(WorkloadSpec w) {
        return w.getReplicas() == null ? 1 : w.getReplicas();
    }

    /** Labels on every owned object and pod (sorted). */
    public static Map<String, String> labels(String serverName) {
        Map<String, String> labels = new TreeMap<>(selector(serverName));
        labels.put(MANAGED_BY, MANAGED_BY_VALUE);
        labels.put("app.kubernetes.io/name", "mcp-server");
        labels.put("app.kubernetes.io/part-of", "manifold");
        return labels;
    }

    /** Pod selector of one server's workload. */
    public static Map<String, String> selector(String serverName) {
        return new TreeMap<>(Map.of(SERVER_LABEL, serverName));
    }
}
