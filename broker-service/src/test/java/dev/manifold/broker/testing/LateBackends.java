package dev.manifold.broker.testing;

import dev.manifold.runtime.testing.FixtureMcpServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Seed scenario 4: the broker starts first. {@code steady} runs from the start; {@code alpha} and {@code beta}
 * have ports reserved in the config but are not running until the test starts them.
 */
public class LateBackends implements QuarkusTestResourceLifecycleManager {
    public static volatile FixtureMcpServer steady;
    public static volatile FixtureMcpServer alpha;
    public static volatile FixtureMcpServer beta;
    private Vertx vertx;
    private Path file;

    @Override
    public Map<String, String> start() {
        vertx = Vertx.vertx();
        steady = new FixtureMcpServer(vertx, "steady", List.of("hold"), false).start();
        alpha = new FixtureMcpServer(vertx, "alpha", List.of("echo", "get_weather"), false).start();
        beta = new FixtureMcpServer(vertx, "beta", List.of("echo", "get_time"), true).start();
        alpha.stop(); // keep the ports, start them later
        beta.stop();
        try {
            file = Files.createTempFile("manifold-late", ".yaml");
            Files.writeString(file, """
                    servers:
                      - { name: steady, url: "%s", toolPrefix: steady_ }
                      - { name: alpha, url: "%s", toolPrefix: alpha_ }
                      - { name: beta, url: "%s", toolPrefix: beta_ }
                    """.formatted(steady.url(), alpha.url(), beta.url()));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return Map.of(
                "manifold.broker.config-file", file.toString(),
                "manifold.broker.probe-interval", "1s",
                "manifold.broker.backoff-max", "30s", // capped at the probe interval by the broker
                "manifold.broker.list-changed-coalesce", "4s");
    }

    @Override
    public void stop() {
        steady.close();
        alpha.close();
        beta.close();
        vertx.close();
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // temp file
        }
    }
}
