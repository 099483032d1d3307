package dev.manifold.controller;

import dev.manifold.contracts.GatewayConfig;
import dev.manifold.controller.config.ControllerConfig;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A namespace-scoped install (deploy/overlays/namespaced): with a list of watched namespaces, servers in them are
 * published and a server in any other namespace is neither published nor given a status.
 */
@QuarkusTest
@TestProfile(WatchedNamespacesTest.TwoNamespaces.class)
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(UniqueRedisPrefix.class)
class WatchedNamespacesTest {

    public static class TwoNamespaces implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.operator-sdk.controllers.mcpserver.namespaces", "team-a,team-b");
        }
    }

    @KubernetesTestServer
    KubernetesServer server;
    @Inject
    ControllerConfig config;
    @Inject
    RedisDataSource redis;

    @Test
    void onlyServersInTheWatchedNamespacesArePublished() {
        KubernetesClient client = server.getClient();
        client.resource(Fixtures.urlServer("team-c", "outside", "outside_", "http://outside.example/mcp")).create();
        client.resource(Fixtures.urlServer("team-a", "first", "first_", "http://first.example/mcp")).create();
        client.resource(Fixtures.urlServer("team-b", "second", "second_", "http://second.example/mcp")).create();

        GatewayConfig published = await().atMost(Duration.ofSeconds(30))
                .until(() -> Fixtures.publishedConfig(redis, config.redisPrefix()).orElse(null),
                        c -> c != null && c.server("team-a/first").isPresent() && c.server("team-b/second").isPresent());
        assertFalse(published.server("team-c/outside").isPresent(), "a server outside the watched namespaces");
        assertTrue(Fixtures.accepted(client, "team-a", "first"));
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
                .until(() -> Fixtures.get(client, "team-c", "outside").getStatus() == null);

        // With Roles in the listed namespaces only, a cluster-wide list or watch of MCPServers would be forbidden:
        // the controller never asks for one.
        java.util.List<String> clusterWide = new java.util.ArrayList<>();
        for (int n = server.getKubernetesMockServer().getRequestCount(); n > 0; n--) {
            io.fabric8.mockwebserver.http.RecordedRequest r;
            try {
                r = server.getKubernetesMockServer().takeRequest(1, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            if (r == null) {
                break;
            }
            if (r.getPath().startsWith("/apis/mcp.manifold.dev/v1alpha1/mcpservers")) {
                clusterWide.add(r.getMethod() + " " + r.getPath());
            }
        }
        assertTrue(clusterWide.isEmpty(), "cluster-wide MCPServer requests: " + clusterWide);
    }
}
