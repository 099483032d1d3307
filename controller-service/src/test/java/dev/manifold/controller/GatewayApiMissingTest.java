package dev.manifold.controller;

import dev.manifold.controller.api.v1alpha1.MCPServerStatus;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * On a cluster without the Gateway API CRDs (the mock API server has none, and discovery says so), the controller
 * starts, watches no HTTPRoutes, and an MCPServer with an HTTPRoute target gets a condition that says why; a server
 * with a Service target beside it still works.
 */
@QuarkusTest
@TestProfile(GatewayApiMissingTest.AutoDetect.class)
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(UniqueRedisPrefix.class)
class GatewayApiMissingTest {

    public static class AutoDetect implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("manifold.controller.gateway-api", "auto");
        }
    }

    private static final String NS = "no-gateway-api";

    @KubernetesTestServer
    KubernetesServer server;

    @Test
    void anHttpRouteTargetIsNotAcceptedAndSaysTheGatewayApiIsMissing() {
        KubernetesClient client = server.getClient();
        client.resource(Fixtures.routeServer(NS, "via-route", "viaroute_", "route")).create();
        client.resource(Fixtures.urlServer(NS, "plain", "plain_", "http://plain.example:8080/mcp")).create();

        await().atMost(Duration.ofSeconds(30)).until(() ->
                Fixtures.condition(client, NS, "via-route", MCPServerStatus.ACCEPTED).map(Condition::getReason)
                        .filter("GatewayApiMissing"::equals).isPresent());
        Optional<Condition> accepted = Fixtures.condition(client, NS, "via-route", MCPServerStatus.ACCEPTED);
        assertTrue(accepted.orElseThrow().getMessage().contains("does not serve the Gateway API"), accepted.toString());
        await().atMost(Duration.ofSeconds(30)).until(() -> Fixtures.accepted(client, NS, "plain"));
    }
}
