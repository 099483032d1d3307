package dev.manifold.controller;

import dev.manifold.contracts.GatewayConfig;
import dev.manifold.controller.config.ControllerConfig;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.awaitility.Awaitility.await;

/** Editing an HTTPRoute or Service a server targets re-resolves its URL at once, not at the next resync. */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(UniqueRedisPrefix.class)
class TargetChangeTest {

    private static final String NS = "targets";

    @KubernetesTestServer
    KubernetesServer server;
    @Inject
    ControllerConfig config;
    @Inject
    RedisDataSource redis;

    @Test
    void editingTheRouteOrServiceRepublishesTheNewUrl() {
        KubernetesClient client = server.getClient();
        Fixtures.routeToService(client, NS, "route", "backend-a", 8000);
        client.services().inNamespace(NS).resource(new ServiceBuilder()
                .withNewMetadata().withName("backend-b").withNamespace(NS).endMetadata()
                .withNewSpec().addNewPort().withPort(9000).endPort().endSpec().build()).create();
        client.resource(Fixtures.routeServer(NS, "via-route", "viaroute_", "route")).create();
        client.resource(McpServers.named(NS, "via-service").prefix("viaservice_").service("backend-b").build()).create();

        awaitUrl(NS + "/via-route", "http://backend-a.targets.svc.cluster.local:8000/mcp");
        awaitUrl(NS + "/via-service", "http://backend-b.targets.svc.cluster.local:9000/mcp");

        client.resources(HTTPRoute.class).inNamespace(NS).withName("route").edit(r -> {
            r.getSpec().getRules().get(0).getBackendRefs().get(0).setName("backend-b");
            r.getSpec().getRules().get(0).getBackendRefs().get(0).setPort(9000);
            return r;
        });
        awaitUrl(NS + "/via-route", "http://backend-b.targets.svc.cluster.local:9000/mcp");

        client.services().inNamespace(NS).withName("backend-b").edit(s -> {
            s.getSpec().getPorts().get(0).setPort(9100);
            return s;
        });
        awaitUrl(NS + "/via-service", "http://backend-b.targets.svc.cluster.local:9100/mcp");
    }

    private void awaitUrl(String id, String url) {
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            GatewayConfig c = Fixtures.publishedConfig(redis, config.redisPrefix()).orElse(null);
            return c != null && c.server(id).map(e -> url.equals(e.url())).orElse(false);
        });
    }
}
