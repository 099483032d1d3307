package dev.manifold.broker.testing;

import dev.manifold.runtime.testing.FixtureMcpServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** One backend that answers everything with SSE, and the default {@code local-responses=auto}. */
public class SseOnlyBackends implements QuarkusTestResourceLifecycleManager {
    public static volatile FixtureMcpServer streamy;
    private Vertx vertx;
    private Path file;

    @Override
    public Map<String, String> start() {
        vertx = Vertx.vertx();
        streamy = new FixtureMcpServer(vertx, "streamy", List.of("echo", "hang"), true).start();
        try {
            file = Files.createTempFile("manifold-sse", ".yaml");
            Files.writeString(file, """
                    servers:
                      - { name: streamy, url: "%s", toolPrefix: s_ }
                    """.formatted(streamy.url()));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return Map.of("manifold.broker.config-file", file.toString(), "manifold.broker.sse-retry", "1500ms");
    }

    @Override
    public void stop() {
        streamy.close();
        vertx.close();
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // temp file
        }
    }
}
