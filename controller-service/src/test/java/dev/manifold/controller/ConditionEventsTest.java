package dev.manifold.controller;

import dev.manifold.controller.api.v1alpha1.MCPServer;
import dev.manifold.controller.api.v1alpha1.MCPServerStatus;
import dev.manifold.controller.publish.ConfigPublisher;
import dev.manifold.controller.reconciler.ServerEvents;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every Accepted/Ready transition records one Event, reconciles that change nothing record none, and a flapping
 * condition is rate-limited.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(UniqueRedisPrefix.class)
class ConditionEventsTest {

    private static final String NS = "events";

    @KubernetesTestServer
    KubernetesServer server;
    @Inject
    ServerEvents serverEvents;
    @Inject
    MeterRegistry registry;
    @Inject
    ConfigPublisher publisher;

    private List<Event> events(KubernetesClient client, String name, String reason) {
        return client.v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> name.equals(e.getInvolvedObject().getName()) && reason.equals(e.getReason())).toList();
    }

    @Test
    void aTransitionRecordsOneEventAndAQuietReconcileRecordsNone() {
        KubernetesClient client = server.getClient();
        client.resource(Fixtures.urlServer(NS, "watched", "watched_", "http://watched.example/mcp")).create();
        await().atMost(Duration.ofSeconds(30)).until(() -> events(client, "watched", "Accepted").size() == 1);
        Event accepted = events(client, "watched", "Accepted").get(0);
        assertEquals("Normal", accepted.getType());
        assertTrue(accepted.getMessage().startsWith("Accepted is True"), accepted.getMessage());
        // No broker reports health in this test: Ready is False, AwaitingHealth, recorded once as a Warning.
        await().atMost(Duration.ofSeconds(30)).until(() -> events(client, "watched", "AwaitingHealth").size() == 1);
        int total = client.v1().events().inNamespace(NS).list().getItems().size();

        // A resync re-reconciles every server; nothing changed, so nothing is recorded.
        double reconciles = registry.counter("manifold_controller_reconciles_total", "outcome", "unchanged").count();
        publisher.resync();
        await().atMost(Duration.ofSeconds(10)).until(() ->
                registry.counter("manifold_controller_reconciles_total", "outcome", "unchanged").count() > reconciles);
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
                .until(() -> client.v1().events().inNamespace(NS).list().getItems().size() == total);

        // An invalid spec (a prefix the CRD pattern forbids, as a client-side-validation-free API would take it) is a
        // transition of Accepted: one Warning with the reason.
        client.resources(MCPServer.class).inNamespace(NS).withName("watched")
                .edit(s -> {
                    s.getSpec().setToolPrefix("Not-Valid");
                    return s;
                });
        await().atMost(Duration.ofSeconds(30)).until(() -> events(client, "watched", "InvalidSpec").size() == 1);
        assertEquals("Warning", events(client, "watched", "InvalidSpec").get(0).getType());
    }

    @Test
    void aFlappingConditionIsRateLimited() {
        KubernetesClient client = server.getClient();
        MCPServer flapping = client.resource(Fixtures.urlServer(NS, "flapping", "flapping_", "http://f.example/mcp")).create();
        await().atMost(Duration.ofSeconds(30)).until(() -> events(client, "flapping", "Accepted").size() == 1);
        double suppressed = registry.counter(ServerEvents.SUPPRESSED_METRIC).count();
        // A fresh identity: the reconciler already recorded this server's first Ready transition moments ago.
        flapping.getMetadata().setUid(java.util.UUID.randomUUID().toString());
        MCPServerStatus up = status("True", "Ready");
        MCPServerStatus down = status("False", "Unhealthy");
        for (int i = 0; i < 10; i++) {
            serverEvents.transitions(flapping, up, down);
            serverEvents.transitions(flapping, down, up);
        }
        // The first BURST flips are recorded; the other 15 fall within the same 30 s interval.
        assertEquals(ServerEvents.BURST, events(client, "flapping", "Unhealthy").size()
                + events(client, "flapping", "Ready").size());
        assertEquals(suppressed + 20 - ServerEvents.BURST, registry.counter(ServerEvents.SUPPRESSED_METRIC).count());
    }

    private static MCPServerStatus status(String value, String reason) {
        MCPServerStatus status = new MCPServerStatus();
        status.getConditions().add(new ConditionBuilder().withType(MCPServerStatus.READY).withStatus(value)
                .withReason(reason).withMessage("").build());
        return status;
    }
}
