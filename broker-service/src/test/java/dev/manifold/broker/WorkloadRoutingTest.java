package dev.manifold.broker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.manifold.broker.testing.McpClient;
import dev.manifold.broker.testing.WorkloadBackends;
import dev.manifold.contracts.GatewayConfig;
import dev.manifold.contracts.GatewayConfigCodec;
import dev.manifold.contracts.PrefixMode;
import dev.manifold.contracts.RedisNames;
import dev.manifold.contracts.ServerEntry;
import dev.manifold.contracts.Workload;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The seam between the controller's published config and the proxy-runner: a workload server (published with a
 * {@code workload} and no {@code url}) is reached through the proxy-runner's route for every exchange, its health is
 * published like any other, and a workload with no ready pod is Unhealthy, saying so, never Quarantined.
 */
@QuarkusTest
@WithTestResource(WorkloadBackends.class)
class WorkloadRoutingTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String ID = "team-w/wl";

    @Inject
    RedisDataSource redis;

    private RedisNames names() {
        return new RedisNames(WorkloadBackends.prefix);
    }

    /** The entry exactly as the controller publishes a workload server: a workload, no URL. */
    private static ServerEntry workloadEntry() {
        return new ServerEntry(ID, "wl_", null, true, null, null, null,
                new Workload("wl", "wl-headless", "team-w", 3000, "/mcp", 3));
    }

    private void publish(ServerEntry... servers) {
        GatewayConfig config = GatewayConfigCodec.build(PrefixMode.ALWAYS, List.of(servers));
        redis.value(String.class).set(names().configKey(), new String(GatewayConfigCodec.toJson(config), StandardCharsets.UTF_8));
        redis.pubsub(String.class).publish(names().configChangedChannel(), config.version());
    }

    private JsonNode health() throws Exception {
        String value = redis.value(String.class).get(names().healthKey(ID));
        return value == null ? MAPPER.createObjectNode() : MAPPER.readTree(value);
    }

    @AfterEach
    void cleanUp() {
        publish();
        WorkloadBackends.podsReady = true;
        WorkloadBackends.routed = true;
        List<String> keys = new ArrayList<>();
        redis.key().scan(new io.quarkus.redis.datasource.keys.KeyScanArgs().match(WorkloadBackends.prefix + ":*"))
                .toIterable().forEach(keys::add);
        if (!keys.isEmpty()) {
            redis.key().del(keys.toArray(String[]::new));
        }
    }

    @Test
    void aWorkloadServerIsDiscoveredCalledAndDeletedThroughTheProxyRunnerRoute() throws Exception {
        WorkloadBackends.seen.clear();
        publish(workloadEntry());
        await().atMost(Duration.ofSeconds(20)).until(() -> McpClient.initialize().toolNames().contains("wl_echo"));
        assertEquals("Ready", health().path("state").asText(), health().toString());
        assertEquals(2, health().path("tools").asInt());

        McpClient client = McpClient.initialize();
        client.call("wl_echo", "via proxy").then().statusCode(200)
                .body("result.content[0].text", equalTo("echo from wl: via proxy"));
        String backendSession = WorkloadBackends.pod.lastCallSession("echo");
        given().header("Mcp-Session-Id", client.sessionId()).delete("/mcp").then().statusCode(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> WorkloadBackends.pod.deletedSessions().contains(backendSession));

        // Every exchange (discovery, probes, the client's backend session, its delete) took the proxy-runner's route.
        assertTrue(WorkloadBackends.seen.contains("POST " + WorkloadBackends.ROUTE), WorkloadBackends.seen.toString());
        assertTrue(WorkloadBackends.seen.contains("DELETE " + WorkloadBackends.ROUTE), WorkloadBackends.seen.toString());
        assertTrue(WorkloadBackends.seen.stream().allMatch(s -> s.endsWith(" " + WorkloadBackends.ROUTE)), WorkloadBackends.seen.toString());
    }

    @Test
    void aWorkloadWithNoReadyPodIsUnhealthyNeverQuarantinedAndRecoversWithinAProbeInterval() throws Exception {
        WorkloadBackends.podsReady = false;
        publish(workloadEntry());
        Set<String> states = ConcurrentHashMap.newKeySet();
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).until(() -> {
            states.add(health().path("state").asText());
            return "Unhealthy".equals(health().path("state").asText());
        });
        String message = health().path("message").asText();
        assertTrue(message.contains("No ready pod for team-w/wl") && message.contains("503"), message);
        // the proxy-runner's 503 + Retry-After is transient: the broker keeps retrying and never quarantines
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100)).until(() -> {
            states.add(health().path("state").asText());
            return "Unhealthy".equals(health().path("state").asText());
        });
        assertFalse(states.contains("Quarantined"), states.toString());
        assertFalse(McpClient.initialize().toolNames().contains("wl_echo"));

        long podsCameUp = System.nanoTime();
        WorkloadBackends.podsReady = true;
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .until(() -> "Ready".equals(health().path("state").asText()));
        long readyMs = (System.nanoTime() - podsCameUp) / 1_000_000;
        assertTrue(readyMs <= 1000 + 1500, "Ready " + readyMs + " ms after a pod became ready (probe interval 1 s)");
        assertTrue(McpClient.initialize().toolNames().contains("wl_echo"));
    }

    @Test
    void aWorkloadTheProxyRunnerDoesNotRouteYetIsRetriedNotQuarantined() throws Exception {
        // The proxy-runner applies the published config at its own pace: right after a change it may answer 404.
        WorkloadBackends.routed = false;
        publish(workloadEntry());
        Set<String> states = ConcurrentHashMap.newKeySet();
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).until(() -> {
            states.add(health().path("state").asText());
            return "Unhealthy".equals(health().path("state").asText());
        });
        assertTrue(health().path("message").asText().contains("No MCP server is routed"), health().toString());
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100)).until(() -> {
            states.add(health().path("state").asText());
            return "Unhealthy".equals(health().path("state").asText());
        });
        assertFalse(states.contains("Quarantined"), states.toString());

        WorkloadBackends.routed = true;
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
                .until(() -> "Ready".equals(health().path("state").asText()));
        assertTrue(McpClient.initialize().toolNames().contains("wl_echo"));
    }
}
