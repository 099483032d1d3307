package dev.manifold.broker.credentials;

import dev.manifold.broker.testing.McpClient;
import dev.manifold.broker.testing.SecuredBackends;
import dev.manifold.contracts.CredentialRef;
import dev.manifold.contracts.GatewayConfig;
import dev.manifold.contracts.GatewayConfigCodec;
import dev.manifold.contracts.PrefixMode;
import dev.manifold.contracts.RedisNames;
import dev.manifold.contracts.ServerEntry;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kubernetes mode: a server's {@code credentialRef} is read from its Secret (the mock API server) and sent to that
 * server only. Its value never shows in the published config, in Redis, in health output, in metrics or in the log.
 * A server quarantined for want of its credential recovers as soon as the Secret is fixed, and a rotated Secret is
 * used from the next connect on.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@WithTestResource(SecuredBackends.class)
class SecretCredentialsTest {
    private static final String NS = "team-a";
    private static final String FIRST = "s3cret-first-7f1c";
    private static final String SECOND = "s3cret-second-92ab";
    private static dev.manifold.runtime.testing.CapturedLog log;

    @KubernetesTestServer
    KubernetesServer server;

    @Inject
    RedisDataSource redis;

    @BeforeAll
    static void captureLogs() {
        log = dev.manifold.runtime.testing.CapturedLog.start();
    }

    @AfterAll
    static void stopCapturing() {
        log.close();
    }

    private static Secret secret(String value) {
        return new SecretBuilder().withNewMetadata().withNamespace(NS).withName("secured-token").endMetadata()
                .withData(Map.of("token", Base64.getEncoder().encodeToString((value + "\n").getBytes(StandardCharsets.UTF_8))))
                .build();
    }

    private GatewayConfig publish() {
        GatewayConfig config = GatewayConfigCodec.build(PrefixMode.ALWAYS, List.of(
                new ServerEntry(NS + "/secured", "secured_", SecuredBackends.secured.url(), true, null,
                        new CredentialRef(NS, "secured-token", "token"), null, null),
                new ServerEntry("team-b/open", "open_", SecuredBackends.open.url(), true, null, null, null, null)));
        RedisNames names = new RedisNames(SecuredBackends.prefix);
        redis.value(String.class).set(names.configKey(), new String(GatewayConfigCodec.toJson(config), StandardCharsets.UTF_8));
        redis.pubsub(String.class).publish(names.configChangedChannel(), config.version());
        return config;
    }

    private static String readiness() {
        return given().get("/q/health/ready").asString();
    }

    @Test
    void aSecretsValueReachesOnlyItsServerAndAFixedOrRotatedSecretIsUsedWithoutAConfigApply() {
        SecuredBackends.secured.requireCredential("Authorization", "Bearer " + FIRST);
        GatewayConfig config = publish();

        // No Secret yet: nothing is sent to the server; the reason names the Secret.
        await().atMost(Duration.ofSeconds(20)).until(() -> readiness().contains("Secret team-a/secured-token does not exist"));
        assertTrue(readiness().contains("quarantined"), readiness());
        assertEquals(List.of(), SecuredBackends.secured.credentialsSeen());

        // A wrong value: the server's 401 names where the credential came from, never what it was.
        server.getClient().secrets().inNamespace(NS).resource(secret("wrong-value")).create();
        await().atMost(Duration.ofSeconds(20)).until(() -> readiness()
                .contains("answered 401 to the credential from Secret team-a/secured-token key token"));
        assertFalse(readiness().contains("wrong-value"));

        // Fixed: the quarantined server is connected at once, not after quarantine-interval (10m here).
        server.getClient().secrets().inNamespace(NS).resource(secret(FIRST)).update();
        await().atMost(Duration.ofSeconds(20)).until(() -> McpClient.initialize().toolNames()
                .containsAll(List.of("secured_echo", "open_echo")));
        McpClient client = McpClient.initialize();
        assertEquals(200, client.call("secured_echo", "through a client session").statusCode());
        assertEquals(200, client.call("open_echo", "no credential here").statusCode());
        assertTrue(SecuredBackends.secured.credentialsSeen().contains("Bearer " + FIRST));
        assertEquals(List.of(), SecuredBackends.open.credentialsSeen(), "the open server is never sent a credential");

        // Rotated: the Secret changes first, then the server starts requiring the new value. The next connect
        // (after a failed probe) sends it; no config is applied meanwhile.
        server.getClient().secrets().inNamespace(NS).resource(secret(SECOND)).update();
        SecuredBackends.secured.requireCredential("Authorization", "Bearer " + SECOND);
        await().atMost(Duration.ofSeconds(20)).until(() -> SecuredBackends.secured.credentialsSeen().contains("Bearer " + SECOND)
                && McpClient.initialize().call("secured_echo", "rotated").statusCode() == 200);
        assertEquals(config.version(), given().get("/q/health/ready").jsonPath().getString("checks[0].data.version"),
                "the rotation needed no config apply");
        assertEquals(List.of(), SecuredBackends.open.credentialsSeen());

        // Nowhere else: the published config, every value under the prefix in Redis, health, metrics and the log.
        String published = new String(GatewayConfigCodec.toJson(config), StandardCharsets.UTF_8);
        String everythingInRedis = redisValues();
        String health = given().get("/q/health").asString();
        String metrics = given().get("/q/metrics").asString();
        String log = SecretCredentialsTest.log.text();
        assertTrue(log.contains("secured"), "the capture saw the broker's log");
        for (String value : List.of(FIRST, SECOND)) {
            for (Map.Entry<String, String> place : Map.of("published config", published, "Redis", everythingInRedis,
                    "health", health, "metrics", metrics, "log", log).entrySet()) {
                assertFalse(place.getValue().contains(value), "the credential appears in the " + place.getKey());
            }
        }
        assertTrue(published.contains("secured-token"), "the config holds the reference");
    }

    private String redisValues() {
        StringBuilder all = new StringBuilder();
        for (String key : redis.key().keys(SecuredBackends.prefix + ":*")) {
            String type = redis.key().type(key).name();
            switch (type) {
                case "STRING" -> all.append(redis.value(String.class).get(key));
                case "HASH" -> all.append(redis.hash(String.class).hgetall(key));
                case "SET" -> all.append(redis.set(String.class).smembers(key));
                case "LIST" -> all.append(redis.list(String.class).lrange(key, 0, -1));
                case "ZSET" -> all.append(redis.sortedSet(String.class).zrange(key, 0, -1));
                default -> all.append(type);
            }
            all.append('\n');
        }
        assertTrue(all.length() > 0, "the broker wrote to Redis under its prefix");
        return all.toString();
    }
}
