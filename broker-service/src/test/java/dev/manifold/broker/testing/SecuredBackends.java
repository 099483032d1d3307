package dev.manifold.broker.testing;

import dev.manifold.runtime.testing.FixtureMcpServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.vertx.core.Vertx;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Kubernetes mode with backends that need credentials: {@code secured} answers 401 unless it gets its token,
 * {@code open} needs none and records whatever it is sent. The quarantine interval is long, so a backend that
 * recovers within a test recovered because its Secret changed, not because it was re-probed on a timer. The API
 * server is the test's mock (in CRUD mode).
 */
public class SecuredBackends implements QuarkusTestResourceLifecycleManager {
    public static volatile FixtureMcpServer secured;
    public static volatile FixtureMcpServer open;
    public static volatile String prefix;
    private Vertx vertx;

    @Override
    public Map<String, String> start() {
        vertx = Vertx.vertx();
        secured = new FixtureMcpServer(vertx, "secured", List.of("echo"), false).start();
        open = new FixtureMcpServer(vertx, "open", List.of("echo"), true).start();
        prefix = "mf-test-" + UUID.randomUUID();
        return Map.of(
                "manifold.broker.redis-prefix", prefix,
                "manifold.broker.config-resync-interval", "2s",
                "manifold.broker.probe-interval", "500ms",
                "manifold.broker.quarantine-interval", "10m",
                "quarkus.log.category.\"dev.manifold\".level", "DEBUG");
    }

    @Override
    public void stop() {
        secured.close();
        open.close();
        vertx.close();
    }
}
