package dev.manifold.controller;

import dev.manifold.contracts.GatewayConfig;
import dev.manifold.contracts.Workload;
import dev.manifold.controller.api.v1alpha1.MCPServer;
import dev.manifold.controller.api.v1alpha1.WorkloadSpec;
import dev.manifold.controller.config.ControllerConfig;
import dev.manifold.controller.dependent.WorkloadNames;
import dev.manifold.controller.metrics.ApiWriteCounter;
import dev.manifold.controller.trigger.ReconcileTrigger;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.redis.datasource.RedisDataSource;
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
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** A workload MCPServer gets a StatefulSet, its headless Service and a NetworkPolicy, updated only on real change. */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(UniqueRedisPrefix.class)
class WorkloadTest {

    private static final String NS = "workload";

    @KubernetesTestServer
    KubernetesServer server;
    @Inject
    ApiWriteCounter writes;
    @Inject
    ControllerConfig config;
    @Inject
    RedisDataSource redis;
    @Inject
    MeterRegistry registry;
    @Inject
    ReconcileTrigger trigger;

    @Test
    void workloadGetsOwnedStatefulSetBehindItsHeadlessServiceAndUpdatesOnlyOnRealChange() {
        KubernetesClient client = server.getClient();
        MCPServer s = Fixtures.workloadServer(NS, "everything", "every_", "ghcr.io/example/server-everything:1");
        s.getSpec().getWorkload().setReplicas(3);
        s.getSpec().getWorkload().setPort(3001);
        s.getSpec().getWorkload().setEnv(List.of(new WorkloadSpec.EnvEntry("ZED", "z"), new WorkloadSpec.EnvEntry("ALPHA", "a")));
        MCPServer created = client.resource(s).create();

        StatefulSet sts = await().atMost(Duration.ofSeconds(30))
                .until(() -> client.apps().statefulSets().inNamespace(NS).withName("everything").get(), x -> x != null);
        Service headless = await().atMost(Duration.ofSeconds(30))
                .until(() -> client.services().inNamespace(NS).withName("everything-headless").get(), x -> x != null);
        NetworkPolicy policy = await().atMost(Duration.ofSeconds(30))
                .until(() -> client.network().v1().networkPolicies().inNamespace(NS).withName("everything-ingress").get(),
                        x -> x != null);

        assertEquals(headless.getMetadata().getName(), sts.getSpec().getServiceName());
        assertEquals("None", headless.getSpec().getClusterIP());
        assertEquals(3, sts.getSpec().getReplicas());
        assertEquals(List.of("ALPHA", "ZED"), sts.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv()
                .stream().map(e -> e.getName()).toList(), "env is applied in a stable order");
        for (var owned : List.of(sts, headless, policy)) {
            OwnerReference owner = owned.getMetadata().getOwnerReferences().get(0);
            assertEquals(created.getMetadata().getUid(), owner.getUid());
            assertEquals("MCPServer", owner.getKind());
            assertEquals("manifold", owned.getMetadata().getLabels().get(WorkloadNames.MANAGED_BY));
            assertNotNull(owned.getMetadata().getAnnotations().get(WorkloadNames.CONFIG_HASH));
        }
        assertEquals(sts.getMetadata().getAnnotations().get(WorkloadNames.CONFIG_HASH),
                sts.getSpec().getTemplate().getMetadata().getAnnotations().get(WorkloadNames.CONFIG_HASH),
                "the pod template carries the hash, so pods roll exactly when the desired state changes");
        assertEquals(2, policy.getSpec().getIngress().get(0).getFrom().size(), "proxy-runner and broker only");

        GatewayConfig published = await().atMost(Duration.ofSeconds(30))
                .until(() -> Fixtures.publishedConfig(redis, config.redisPrefix()).orElse(null),
                        c -> c != null && c.server(NS + "/everything").isPresent());
        Workload workload = published.server(NS + "/everything").orElseThrow().workload();
        assertEquals(new Workload("everything", "everything-headless", NS, 3001, "/mcp", 3), workload);

        // Re-reconciling with nothing changed makes no write to any owned object.
        double ownedWrites = ownedWrites();
        for (int i = 0; i < 5; i++) {
            double before = ControllerMetrics.reconciles(registry);
            trigger.reconcile(NS, "everything");
            await().atMost(Duration.ofSeconds(10)).until(() -> ControllerMetrics.reconciles(registry) > before);
        }
        assertEquals(ownedWrites, ownedWrites());

        // Changing the image updates the StatefulSet exactly once and leaves the Service and policy alone.
        double stsWrites = writes.total("statefulsets");
        double otherOwnedWrites = writes.total("services") + writes.total("networkpolicies");
        // Like kubectl edit, retry when the controller's status write got in first (optimistic locking).
        await().atMost(Duration.ofSeconds(10)).ignoreException(io.fabric8.kubernetes.client.KubernetesClientException.class)
                .until(() -> client.resources(MCPServer.class).inNamespace(NS).withName("everything").edit(x -> {
                    x.getSpec().getWorkload().setImage("ghcr.io/example/server-everything:2");
                    return x;
                }) != null);
        await().atMost(Duration.ofSeconds(30)).until(() -> "ghcr.io/example/server-everything:2".equals(
                client.apps().statefulSets().inNamespace(NS).withName("everything").get()
                        .getSpec().getTemplate().getSpec().getContainers().get(0).getImage()));
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(15))
                .until(() -> writes.total("statefulsets") == stsWrites + 1);
        assertEquals(otherOwnedWrites, writes.total("services") + writes.total("networkpolicies"));
    }

    @Test
    void workloadThatLostItsPrefixRunsNoPodsUntilPromoted() {
        KubernetesClient client = server.getClient();
        client.resource(Fixtures.urlServer(NS, "holder", "held_", "http://holder.example/mcp")).create();
        await().atMost(Duration.ofSeconds(30)).until(() -> Fixtures.accepted(client, NS, "holder"));
        client.resource(Fixtures.workloadServer(NS, "waiting", "held_", "ghcr.io/example/mcp:1")).create();
        await().atMost(Duration.ofSeconds(30)).until(() -> Fixtures.condition(client, NS, "waiting",
                dev.manifold.controller.api.v1alpha1.MCPServerStatus.CONFLICT).map(c -> "True".equals(c.getStatus())).orElse(false));
        assertEquals(null, client.apps().statefulSets().inNamespace(NS).withName("waiting").get());

        client.resources(MCPServer.class).inNamespace(NS).withName("holder").delete();
        await().atMost(Duration.ofSeconds(30))
                .until(() -> client.apps().statefulSets().inNamespace(NS).withName("waiting").get() != null);
        await().atMost(Duration.ofSeconds(30)).until(() -> Fixtures.accepted(client, NS, "waiting"));
    }

    private double ownedWrites() {
        return writes.total("statefulsets") + writes.total("services") + writes.total("networkpolicies");
    }
}
