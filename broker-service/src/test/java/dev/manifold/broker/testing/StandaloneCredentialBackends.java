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
 * Standalone mode with a backend that needs an API key: {@code keyed} answers 401 unless {@code X-Api-Key} is the
 * content of {@link #keyFile}, which the config file names relative to its own directory. {@code open} needs none.
 */
public class StandaloneCredentialBackends implements QuarkusTestResourceLifecycleManager {
    public static volatile FixtureMcpServer keyed;
    public static volatile FixtureMcpServer open;
    public static volatile Path keyFile;
    private Vertx vertx;
    private Path dir;

    @Override
    public Map<String, String> start() {
        vertx = Vertx.vertx();
        keyed = new FixtureMcpServer(vertx, "keyed", List.of("echo"), false).start();
        open = new FixtureMcpServer(vertx, "open", List.of("echo"), false).start();
        try {
            dir = Files.createTempDirectory("manifold-credentials");
            keyFile = dir.resolve("keyed.key");
            Path config = dir.resolve("servers.yaml");
            Files.writeString(config, """
                    servers:
                      - name: keyed
                        url: %s
                        toolPrefix: keyed_
                        credential: { file: keyed.key, header: X-Api-Key }
                      - name: open
                        url: %s
                        toolPrefix: open_
                    """.formatted(keyed.url(), open.url()));
            return Map.of("manifold.broker.config-file", config.toString(),
                    "manifold.broker.quarantine-interval", "2s");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {
        keyed.close();
        open.close();
        vertx.close();
    }
}
