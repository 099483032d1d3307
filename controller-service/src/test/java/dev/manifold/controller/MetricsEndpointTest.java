package dev.manifold.controller;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;

/** /q/metrics exposes the controller's own metrics next to JOSDK's; /q/health/ready reports the config state. */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(UniqueRedisPrefix.class)
class MetricsEndpointTest {

    @KubernetesTestServer
    KubernetesServer server;

    @Test
    void prometheusShowsWritesPublishesReconcilesAndOperatorMetrics() {
        server.getClient().resource(Fixtures.urlServer("metrics", "m", "m_", "http://m.example/mcp")).create();
        await().atMost(Duration.ofSeconds(30)).until(() -> Fixtures.accepted(server.getClient(), "metrics", "m"));
        String body = given().get("/q/metrics").then().statusCode(200).extract().asString();
        for (String metric : new String[] {"manifold_controller_api_writes_total{kind=\"mcpservers/status\",verb=\"patch\"}",
                "manifold_controller_config_publishes_total", "manifold_controller_reconciles_total",
                "events_received_total", "reconciliations_success_total", "reconciliations_execution_duration_seconds"}) {
            org.junit.jupiter.api.Assertions.assertTrue(body.contains(metric), metric + " missing from /q/metrics");
        }
        given().get("/q/health/ready").then().statusCode(200).body(containsString("configVersion"));
    }
}
