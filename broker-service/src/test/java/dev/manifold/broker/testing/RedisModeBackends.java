package dev.manifold.broker.testing;

import dev.manifold.runtime.testing.FixtureMcpServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.vertx.core.Vertx;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Kubernetes mode for a test: no config file, a Redis key prefix unique to this run (the machine's Redis is
 * shared), and two fixture MCP servers the test can name in the configs it publishes.
 */
public class RedisModeBackends implements QuarkusTestResourceLifecycleManager {
    public static volatile FixtureMcpServer alpha;
    public static volatile FixtureMcpServer beta;
    public static volatile String prefix;
    private Vertx vertx;

    @Override
    public Map<String, String> start() {
        vertx = Vertx.vertx();
        alpha = new FixtureMcpServer(vertx, "alpha", List.of("echo", "get_weather"), false).start();
        beta = new FixtureMcpServer(vertx, "beta", List.of("echo", "get_time"), true).start();
        prefix = "mf-test-" + UUID.randomUUID();
        return Map.of(
                "manifold.broker.redis-prefix", prefix,
                "manifold.broker.config-resync-interval", "2s",
                // no cluster here: the ConfigMap fallback points at an address nothing listens on and fails fast
                "quarkus.kubernetes-client.api-server-url", "http://127.0.0.1:" + FixtureBackends.freePort(),
                "quarkus.kubernetes-client.namespace", "manifold-test");
    }

    @Override
    public void stop() {
        alpha.close();
        beta.close();
        vertx.close();
    }
}
