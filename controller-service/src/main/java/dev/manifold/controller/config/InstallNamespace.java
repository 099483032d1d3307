package dev.manifold.controller.config;

import io.fabric8.kubernetes.client.KubernetesClient;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.Optional;

/** The namespace Manifold is installed in: holds the ConfigMap, the broker and the proxy-runner. */
@ApplicationScoped
public class InstallNamespace {

    private final String namespace;

    public InstallNamespace(ControllerConfig config, KubernetesClient client) {
        this.namespace = config.namespace().filter(s -> !s.isBlank())
                .orElseGet(() -> Optional.ofNullable(client.getNamespace()).orElse("default"));
    }

    public String get() {
        return namespace;
    }
}
