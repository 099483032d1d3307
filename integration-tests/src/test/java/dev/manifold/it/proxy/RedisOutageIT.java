package dev.manifold.it.proxy;

import dev.manifold.it.support.PrivateRedis;

import dev.manifold.it.support.ItEnvironment;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** When Redis is gone, cached sessions keep flowing, new sessions fail fast, readiness says so, and all recovers. */
class RedisOutageIT {

    @Test
    void cachedSessionsFlowAndNewSessionsGet503FastWhileRedisIsDown() {
        try (PrivateRedis redis = new PrivateRedis(ItPaths.logDir("redis-outage/redis-" + System.nanoTime())).start();
             Fleet fleet = new Fleet("redis-outage", 2).redisPort(redis.port())) {
            ProxyProcess proxy = fleet.startProxy("proxy");
            List<String> sessions = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                String sid = McpClient.openSession(proxy.mcpUrl());
                assertEquals("Echo: before", McpClient.echo(proxy.mcpUrl(), sid, "before"));
                sessions.add(sid);
            }

            await("the session-store gauge says up").atMost(Duration.ofSeconds(30))
                    .until(() -> proxy.metric("manifold_proxy_session_store_up") == 1);

            redis.stop();

            await("the session-store gauge names the outage").atMost(Duration.ofSeconds(30))
                    .until(() -> proxy.metric("manifold_proxy_session_store_up") == 0);
            await("readiness reports the store DOWN").atMost(Duration.ofSeconds(30))
                    .until(() -> proxy.readyStatus() == 503);
            assertTrue(proxy.readyBody().contains("session-store"), proxy.readyBody());
            // What the Kubernetes readiness probe asks stays UP: the replica keeps serving its cached sessions.
            assertEquals(200, proxy.status("/q/health/group/serving"));
            for (String sid : sessions) {
                assertEquals("Echo: during", McpClient.echo(proxy.mcpUrl(), sid, "during"));
            }
            for (int i = 0; i < 3; i++) {
                McpClient.Answer init = McpClient.post(proxy.mcpUrl(), null, McpClient.initializeBody());
                assertEquals(503, init.status(), init.body());
                assertEquals("1", init.retryAfter());
                assertTrue(init.millis() < 1000, "new session took " + init.millis() + " ms to be refused");
            }

            redis.start();

            await("readiness UP again").atMost(Duration.ofSeconds(30)).until(() -> proxy.readyStatus() == 200);
            await("the session-store gauge recovers").atMost(Duration.ofSeconds(30))
                    .until(() -> proxy.metric("manifold_proxy_session_store_up") == 1);
            String fresh = McpClient.openSession(proxy.mcpUrl());
            assertEquals("Echo: after", McpClient.echo(proxy.mcpUrl(), fresh, "after"));
            for (String sid : sessions) {
                assertEquals("Echo: after", McpClient.echo(proxy.mcpUrl(), sid, "after"));
            }
            // The restarted proxy-runner-independent truth: the new session is in Redis.
            assertEquals("1", redis.cli("EXISTS", fleet.redisPrefix + ":proxy:session:" + fresh));
        }
    }

    /**
     * A Redis that accepts but does not answer (CLIENT PAUSE: what a network partition looks like, unlike a stopped
     * server that refuses at once): a cached session past its refresh interval pays the Redis timeout once, then
     * flows at full speed again instead of waiting on Redis with every request.
     */
    @Test
    void aRedisThatDoesNotAnswerDelaysACachedSessionOnceNotOnEveryRequest() {
        try (PrivateRedis redis = new PrivateRedis(ItPaths.logDir("redis-outage/paused-" + System.nanoTime())).start();
             Fleet fleet = new Fleet("redis-paused", 1).redisPort(redis.port())) {
            ProxyProcess proxy = fleet.startProxy("proxy", ItEnvironment.freePort(), Map.of(
                    "manifold.proxy.session-refresh-interval", "3s", "manifold.proxy.redis-timeout", "800ms"));
            String sid = McpClient.openSession(proxy.mcpUrl());
            assertEquals("Echo: before", McpClient.echo(proxy.mcpUrl(), sid, "before"));

            redis.cli("CLIENT", "PAUSE", "8000", "ALL"); // bounded: lifts itself after 8 s whatever happens
            try {
                await("the cached entry is due for a check").atMost(Duration.ofSeconds(10))
                        .until(() -> McpClient.callTool(proxy.mcpUrl(), sid, "echo", "{\"message\":\"probe\"}")
                                .millis() >= 700);
                // The check just failed: the next requests within the refresh interval do not ask Redis again.
                for (int i = 0; i < 5; i++) {
                    McpClient.Answer answer = McpClient.callTool(proxy.mcpUrl(), sid, "echo", "{\"message\":\"during\"}");
                    assertEquals(200, answer.status(), answer.body());
                    assertTrue(answer.millis() < 500, "request " + i + " waited on Redis again: " + answer.millis() + " ms");
                }
            } finally {
                redis.cli("CLIENT", "UNPAUSE");
            }
        }
    }
}
