package dev.manifold.contracts;

/**
 * Where the controller runs a server itself: a StatefulSet whose pods have DNS records through the
 * headless Service. The proxy-runner routes {@code /{namespace}/{name}/mcp} to one of these pods.
 */
public record Workload(String statefulSet, String headlessService, String namespace, int port, String path,
                       int replicas) {
    public Workload {
        require(statefulSet, "workload.statefulSet");
        require(headlessService, "workload.headlessService");
        require(namespace, "workload.namespace");
        if (port < 1 || port > 65535) {
            throw new ConfigValidationException("workload.port", "must be between 1 and 65535, was " + port);
        }
        if (path == null || path.isBlank()) {
            path = "/mcp";
        }
        if (!path.startsWith("/")) {
            throw new ConfigValidationException("workload.path", "must start with '/', was '" + path + "'");
        }
        if (replicas < 0) {
            throw new ConfigValidationException("workload.replicas", "must not be negative, was " + replicas);
        }
    }

    private static void require(String value, String field) {
        if (value == null || value.isBlank()) {
            throw new ConfigValidationException(field, "must be set");
        }
    }
}
