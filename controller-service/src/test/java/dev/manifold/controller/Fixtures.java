package dev.manifold.controller;

import dev.manifold.contracts.GatewayConfig;
import dev.manifold.contracts.GatewayConfigCodec;
import dev.manifold.contracts.RedisNames;
import dev.manifold.controller.api.v1alpha1.MCPServer;
import dev.manifold.controller.api.v1alpha1.MCPServerStatus;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.redis.datasource.RedisDataSource;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/** Shorthands for the MCPServers the tests apply ({@link McpServers}), and readers for what the controller published. */
public final class Fixtures {

    private Fixtures() {
    }

    public static MCPServer urlServer(String namespace, String name, String prefix, String url) {
        return McpServers.named(namespace, name).prefix(prefix).url(url).build();
    }

    public static MCPServer routeServer(String namespace, String name, String prefix, String route) {
        return McpServers.named(namespace, name).prefix(prefix).route(route).build();
    }

    public static MCPServer workloadServer(String namespace, String name, String prefix, String image) {
        return McpServers.named(namespace, name).prefix(prefix).workload(image).build();
    }

    /** A Service and an HTTPRoute sending everything to it, as a Gateway API user would set them up. */
    public static void routeToService(KubernetesClient client, String namespace, String route, String service, int port) {
        client.services().inNamespace(namespace).resource(new ServiceBuilder()
                .withNewMetadata().withName(service).withNamespace(namespace).endMetadata()
                .withNewSpec().addNewPort().withName("http").withPort(port).endPort()
                .addToSelector("app", service).endSpec().build()).create();
        client.resources(io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute.class).inNamespace(namespace)
                .resource(new HTTPRouteBuilder()
                        .withNewMetadata().withName(route).withNamespace(namespace).endMetadata()
                        .withNewSpec()
                        .addNewParentRef().withName("mcp-gateway").withNamespace("gateway-system").endParentRef()
                        .addToHostnames(service + ".mcp.local")
                        .addNewRule().addNewBackendRef().withName(service).withPort(port).endBackendRef().endRule()
                        .endSpec().build()).create();
    }

    public static MCPServer get(KubernetesClient client, String namespace, String name) {
        return client.resources(MCPServer.class).inNamespace(namespace).withName(name).get();
    }

    public static Optional<Condition> condition(KubernetesClient client, String namespace, String name, String type) {
        MCPServer s = get(client, namespace, name);
        return s == null || s.getStatus() == null ? Optional.empty() : s.getStatus().condition(type);
    }

    public static boolean accepted(KubernetesClient client, String namespace, String name) {
        MCPServer s = get(client, namespace, name);
        return s != null && s.getStatus() != null && s.getStatus().isTrue(MCPServerStatus.ACCEPTED)
                && s.getStatus().condition(MCPServerStatus.ACCEPTED).get().getObservedGeneration()
                .equals(s.getMetadata().getGeneration());
    }

    /** The config currently stored in Redis under the test's prefix, if any. */
    public static Optional<GatewayConfig> publishedConfig(RedisDataSource redis, String prefix) {
        String json = redis.value(String.class).get(new RedisNames(prefix).configKey());
        return json == null ? Optional.empty()
                : Optional.of(GatewayConfigCodec.parse(json.getBytes(StandardCharsets.UTF_8)));
    }
}
