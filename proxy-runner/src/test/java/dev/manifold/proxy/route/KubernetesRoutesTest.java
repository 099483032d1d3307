package dev.manifold.proxy.route;

import dev.manifold.contracts.GatewayConfigCodec;
import dev.manifold.contracts.PrefixMode;
import dev.manifold.contracts.RedisNames;
import dev.manifold.contracts.ServerEntry;
import dev.manifold.contracts.Workload;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Kubernetes mode against the fabric8 mock API server (CRUD): routes come from the published GatewayConfig
 * (ConfigMap fallback, then Redis with its change hint) and ready pods from the headless Service's EndpointSlices.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@TestProfile(KubernetesRoutesTest.Mode.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KubernetesRoutesTest {

    static final String PREFIX = "proxy-kt-" + UUID.randomUUID().toString().substring(0, 8);

    /** Kubernetes mode (no routes file), its own Redis prefix, a fast resync. */
    public static class Mode implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("manifold.proxy.redis-prefix", PREFIX, "manifold.proxy.config-resync", "1s");
        }
    }

    @Inject
    KubernetesClient client;
    @Inject
    RouteTable table;
    @Inject
    RedisDataSource redis;
    /** Read back from config: the profile and the test run in different class loaders. */
    @org.eclipse.microprofile.config.inject.ConfigProperty(name = "manifold.proxy.redis-prefix")
    String prefix;

    private static ServerEntry workload(String name, int replicas) {
        return new ServerEntry("demo/" + name, name, null, true, null, null, null,
                new Workload(name, name + "-headless", "demo", 3001, "/mcp", replicas));
    }

    private static EndpointSlice slice(String service, boolean echo1Ready) {
        return new EndpointSliceBuilder().withNewMetadata().withName(service + "-abc").withNamespace("demo")
                .addToLabels("kubernetes.io/service-name", service).endMetadata()
                .withAddressType("IPv4")
                .withEndpoints(
                        new EndpointBuilder().withAddresses("10.1.0.10").withHostname("echo-0")
                                .withNewConditions().withReady(true).endConditions()
                                .withNewTargetRef().withKind("Pod").withName("echo-0").withNamespace("demo").endTargetRef().build(),
                        new EndpointBuilder().withAddresses("10.1.0.11").withHostname("echo-1")
                                .withNewConditions().withReady(echo1Ready).endConditions()
                                .withNewTargetRef().withKind("Pod").withName("echo-1").withNamespace("demo").endTargetRef().build(),
                        new EndpointBuilder().withAddresses("10.1.0.12").withHostname("echo-2")
                                .withNewConditions().withReady(true).endConditions()
                                .withNewTargetRef().withKind("Pod").withName("echo-2").withNamespace("demo").endTargetRef().build())
                .build();
    }

    private List<String> readyPods(String serverId) {
        return table.route(serverId).map(r -> r.readyPods().stream().map(PodTarget::name).toList()).orElse(null);
    }

    @Test
    @Order(1)
    void routesFollowTheConfigMapAndTheReadyEndpoints() {
        String json = new String(GatewayConfigCodec.toJson(GatewayConfigCodec.build(PrefixMode.ALWAYS,
                List.of(workload("echo", 3), new ServerEntry("demo/external", "ext", "http://example.com/mcp", true,
                        null, null, null, null)))), StandardCharsets.UTF_8);
        client.configMaps().inNamespace(client.getNamespace()).resource(new ConfigMapBuilder().withNewMetadata()
                .withName("manifold-config").endMetadata().addToData("config.json", json).build()).create();
        client.discovery().v1().endpointSlices().inNamespace("demo").resource(slice("echo-headless", false)).create();

        await().atMost(Duration.ofSeconds(30)).until(() -> List.of("echo-0", "echo-2").equals(readyPods("demo/echo")));
        PodTarget pod = table.route("demo/echo").orElseThrow().pod("echo-2").orElseThrow();
        assertEquals("http://echo-2.echo-headless.demo.svc.cluster.local:3001/mcp", pod.url().toString());
        assertEquals(null, readyPods("demo/external"), "servers without a workload are not proxied");

        client.discovery().v1().endpointSlices().inNamespace("demo").resource(slice("echo-headless", true)).update();
        await().atMost(Duration.ofSeconds(30))
                .until(() -> List.of("echo-0", "echo-1", "echo-2").equals(readyPods("demo/echo")));

        given().when().get("/q/health/ready").then().statusCode(200)
                .body("checks.find { it.name == 'routes' }.data.mode", equalTo("kubernetes"))
                .body("checks.find { it.name == 'routes' }.data.configSource", equalTo("configmap"));
    }

    @Test
    @Order(2)
    void redisConfigIsPreferredAndAppliedOnItsChangeHint() {
        RedisNames names = new RedisNames(prefix);
        var config = GatewayConfigCodec.build(PrefixMode.ALWAYS, List.of(workload("echo", 3), workload("other", 1)));
        redis.value(String.class).set(names.configKey(),
                new String(GatewayConfigCodec.toJson(config), StandardCharsets.UTF_8));
        redis.pubsub(String.class).publish(names.configChangedChannel(), config.version());
        client.discovery().v1().endpointSlices().inNamespace("demo").resource(slice("other-headless", true)).create();

        await().atMost(Duration.ofSeconds(30)).until(() -> readyPods("demo/other") != null
                && readyPods("demo/other").size() == 3);
        assertEquals(List.of("echo-0", "echo-1", "echo-2"), readyPods("demo/echo"), "the unchanged route stays");

        client.discovery().v1().endpointSlices().inNamespace("demo").withName("other-headless-abc").delete();
        await().atMost(Duration.ofSeconds(30)).until(() -> readyPods("demo/other").isEmpty());
        given().when().get("/q/health/ready").then().statusCode(200)
                .body("checks.find { it.name == 'routes' }.data.configVersion", equalTo(config.version()));
        redis.key().del(names.configKey()); // only this test's own prefix; the shared Redis is never flushed
    }
}
