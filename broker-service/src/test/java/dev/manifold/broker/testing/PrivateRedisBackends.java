package dev.manifold.broker.testing;

import dev.manifold.runtime.testing.FixtureMcpServer;
import dev.manifold.runtime.testing.RedisServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.vertx.core.Vertx;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Kubernetes mode against a Redis of the test's own ({@code redis-server} on a free port, nothing persisted), for
 * tests that disturb Redis itself (kill its connections, read its command statistics) and so must not use the
 * machine's shared Redis. One fixture MCP server, {@code alpha}, for the configs the test publishes.
 */
public class PrivateRedisBackends implements QuarkusTestResourceLifecycleManager {
    public static volatile FixtureMcpServer alpha;
    public static volatile String prefix;
    public static volatile int port;
    private Vertx vertx;
    private RedisServer redis;

    @Override
    public Map<String, String> start() {
        redis = RedisServer.temporary().start();
        port = redis.port();
        vertx = Vertx.vertx();
        alpha = new FixtureMcpServer(vertx, "alpha", List.of("echo"), false).start();
        prefix = "mf-test-" + UUID.randomUUID();
        return Map.of(
                "quarkus.redis.hosts", redis.hosts(),
                "manifold.broker.redis-prefix", prefix,
                // the pub/sub watch pings every max(1s, resync / 4): every second here
                "manifold.broker.config-resync-interval", "2s",
                // no cluster here: the ConfigMap fallback points at an address nothing listens on and fails fast
                "quarkus.kubernetes-client.api-server-url", "http://127.0.0.1:" + FixtureBackends.freePort(),
                "quarkus.kubernetes-client.namespace", "manifold-test");
    }

    @Override
    public void stop() {
        alpha.close();
        vertx.close();
        redis.close();
    }
}
