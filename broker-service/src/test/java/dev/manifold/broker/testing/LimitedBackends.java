package dev.manifold.broker.testing;

import dev.manifold.runtime.testing.FixtureMcpServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Standalone mode with small per-session limits (2 requests in flight, 1 pending server request, 2 kept streams)
 * and two backends whose {@code slow} and {@code ask} tools keep a request open.
 */
public class LimitedBackends implements QuarkusTestResourceLifecycleManager {
    public static volatile FixtureMcpServer alpha;
    public static volatile FixtureMcpServer beta;
    private Vertx vertx;

    @Override
    public Map<String, String> start() {
        vertx = Vertx.vertx();
        alpha = new FixtureMcpServer(vertx, "alpha", List.of("echo", "slow", "ask"), false).start();
        beta = new FixtureMcpServer(vertx, "beta", List.of("echo", "slow", "ask"), true).start();
        try {
            Path config = Files.createTempFile("manifold-limits", ".yaml");
            Files.writeString(config, """
                    servers:
                      - name: alpha
                        url: %s
                        toolPrefix: alpha_
                      - name: beta
                        url: %s
                        toolPrefix: beta_
                    """.formatted(alpha.url(), beta.url()));
            return Map.of("manifold.broker.config-file", config.toString(),
                    "manifold.broker.max-in-flight-per-session", "2",
                    "manifold.broker.max-pending-server-requests", "1",
                    "manifold.broker.stream-open-delay", "0s");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {
        alpha.close();
        beta.close();
        vertx.close();
    }
}
