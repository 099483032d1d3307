package dev.manifold.broker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.manifold.broker.testing.McpClient;
import dev.manifold.broker.testing.RedisModeBackends;
import dev.manifold.contracts.GatewayConfig;
import dev.manifold.contracts.GatewayConfigCodec;
import dev.manifold.contracts.PrefixMode;
import dev.manifold.contracts.RedisNames;
import dev.manifold.contracts.ServerEntry;
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

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Kubernetes mode against the machine's real Redis, under a key prefix unique to this run. */
@QuarkusTest
@WithTestResource(RedisModeBackends.class)
class KubernetesModeTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Inject
    RedisDataSource redis;

    private RedisNames names() {
        return new RedisNames(RedisModeBackends.prefix);
    }

    private GatewayConfig publish(ServerEntry... servers) {
        GatewayConfig config = GatewayConfigCodec.build(PrefixMode.ALWAYS, List.of(servers));
        redis.value(String.class).set(names().configKey(), new String(GatewayConfigCodec.toJson(config), StandardCharsets.UTF_8));
        redis.pubsub(String.class).publish(names().configChangedChannel(), config.version());
        return config;
    }

    private static ServerEntry alpha() {
        return new ServerEntry("team-a/alpha", "alpha_", RedisModeBackends.alpha.url(), true, null, null, null, null);
    }

    private static ServerEntry beta() {
        return new ServerEntry("team-b/beta", "beta_", RedisModeBackends.beta.url(), true, null, null, null, null);
    }

    @AfterEach
    void cleanUp() {
        List<String> keys = new ArrayList<>();
        redis.key().scan(new io.quarkus.redis.datasource.keys.KeyScanArgs().match(RedisModeBackends.prefix + ":*"))
                .toIterable().forEach(keys::add);
        if (!keys.isEmpty()) {
            redis.key().del(keys.toArray(String[]::new));
        }
    }

    @Test
    void aPublishedConfigIsServedWithinOneSecondAndTheSameVersionAgainChangesNothing() {
        publish(alpha());
        await().atMost(Duration.ofSeconds(20)).until(() -> McpClient.initialize().toolNames().contains("alpha_echo"));
        McpClient client = McpClient.initialize();

        long published = System.nanoTime();
        GatewayConfig second = publish(alpha(), beta());
        await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(20))
                .until(() -> client.toolNames().contains("beta_get_time"));
        long elapsedMs = (System.nanoTime() - published) / 1_000_000;
        assertTrue(elapsedMs <= 1000, "visible after " + elapsedMs + " ms");

        double applies = ConfigReloadTest.metric("manifold_broker_config_applies_total");
        int alphaInitializes = RedisModeBackends.alpha.requests("initialize");
        redis.pubsub(String.class).publish(names().configChangedChannel(), second.version());
        redis.pubsub(String.class).publish(names().configChangedChannel(), second.version());
        // a resync (2 s in this test) also re-reads the same version; none of it may apply or reconnect anything
        await().during(Duration.ofMillis(2500)).atMost(Duration.ofSeconds(6)).until(() ->
                ConfigReloadTest.metric("manifold_broker_config_applies_total") == applies
                        && RedisModeBackends.alpha.requests("initialize") == alphaInitializes);
    }

    @Test
    void backendHealthIsPublishedToRedisOnlyOnChange() throws Exception {
        ServerEntry down = new ServerEntry("team-c/down", "down_", "http://127.0.0.1:9/mcp", true, null, null, null, null);
        publish(alpha(), down);
        await().atMost(Duration.ofSeconds(20)).until(() -> "Ready".equals(health("team-a/alpha").path("state").asText()));
        JsonNode alphaHealth = MAPPER.readTree(redis.value(String.class).get(names().healthKey("team-a/alpha")));
        assertEquals("Ready", alphaHealth.path("state").asText());
        assertEquals(2, alphaHealth.path("tools").asInt());
        await().atMost(Duration.ofSeconds(20)).until(() -> "Unhealthy".equals(health("team-c/down").path("state").asText()));
        assertTrue(health("team-c/down").path("message").asText().contains("unreachable"), health("team-c/down").toString());

        publish(alpha());
        await().atMost(Duration.ofSeconds(20)).until(() -> redis.value(String.class).get(names().healthKey("team-c/down")) == null);
        given().get("/q/health/ready").then().statusCode(200)
                .body("checks.find { it.name == 'manifold-broker-config' }.data.source", equalTo("redis"))
                .body("checks.find { it.name == 'manifold-broker-config' }.data.redis", equalTo("up"));
    }

    private JsonNode health(String id) throws Exception {
        String value = redis.value(String.class).get(names().healthKey(id));
        return value == null ? MAPPER.createObjectNode() : MAPPER.readTree(value);
    }

    @Test
    void aSessionStoredByAnotherReplicaIsServedAndDeleteRemovesIt() throws Exception {
        publish(alpha());
        await().atMost(Duration.ofSeconds(20)).until(() -> McpClient.initialize().toolNames().contains("alpha_echo"));

        McpClient client = McpClient.initialize();
        client.call("alpha_echo", "one").then().statusCode(200).body("result.content[0].text", equalTo("echo from alpha: one"));
        String key = names().brokerSessionKey(client.sessionId());
        JsonNode record = MAPPER.readTree(redis.value(String.class).get(key));
        assertEquals(client.sessionId(), record.path("sid").asText());
        assertTrue(record.path("backends").fields().hasNext(), "the backend session is stored for other replicas");
        assertTrue(redis.key().pttl(key) > 0, "the record has a TTL");

        // A session this replica has never seen, written the way another replica writes it.
        String foreignSid = "00112233445566778899aabbccddeeff";
        redis.value(String.class).set(names().brokerSessionKey(foreignSid),
                "{\"sid\":\"" + foreignSid + "\",\"protocolVersion\":\"2025-06-18\",\"principal\":\"anonymous\",\"createdAt\":1,\"backends\":{}}");
        given().contentType("application/json").header("Mcp-Session-Id", foreignSid)
                .body("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":\"alpha_echo\",\"arguments\":{\"message\":\"two\"}}}")
                .post("/mcp").then().statusCode(200).body("result.content[0].text", equalTo("echo from alpha: two"));

        given().header("Mcp-Session-Id", client.sessionId()).delete("/mcp").then().statusCode(200);
        assertNull(redis.value(String.class).get(key));
        client.post("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}").then().statusCode(404);
    }

    @Test
    void aBackendThatForgotTheSessionIsReinitializedAndTheCallSucceeds() {
        publish(alpha());
        await().atMost(Duration.ofSeconds(20)).until(() -> McpClient.initialize().toolNames().contains("alpha_echo"));
        McpClient client = McpClient.initialize();
        client.call("alpha_echo", "before").then().statusCode(200);

        RedisModeBackends.alpha.stop();  // a restart: every session the backend knew is gone
        RedisModeBackends.alpha.start();

        client.call("alpha_echo", "after").then().statusCode(200)
                .body("result.content[0].text", equalTo("echo from alpha: after"))
                .body(containsString("after"));
        assertFalse(ConfigReloadTest.metric("manifold_broker_backend_session_reinitializations_total") < 1);
        assertNotNull(redis.value(String.class).get(names().brokerSessionKey(client.sessionId())));
    }
}
