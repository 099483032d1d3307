package dev.manifold.broker.testing;

import dev.manifold.runtime.testing.FixtureMcpServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Starts two fixture MCP servers (one answering JSON, one answering SSE) and writes a standalone config file
 * for the broker under test:
 * <ul>
 *   <li>{@code alpha} (prefix {@code alpha_}): tools echo, get_weather, get_secret, fail_always, reverse;</li>
 *   <li>{@code beta} (prefix {@code beta_}, filter include {@code get_*}, exclude {@code get_secret}):
 *       tools echo, get_weather, get_secret, get_time;</li>
 *   <li>{@code down}: a URL where nothing listens.</li>
 * </ul>
 * Tests reach the fixtures and the file through the static accessors.
 */
public class FixtureBackends implements QuarkusTestResourceLifecycleManager {
    public static volatile FixtureMcpServer alpha;
    public static volatile FixtureMcpServer beta;
    public static volatile Path configFile;
    public static volatile int downPort;
    private Vertx vertx;

    @Override
    public Map<String, String> start() {
        vertx = Vertx.vertx();
        alpha = new FixtureMcpServer(vertx, "alpha", List.of("echo", "get_weather", "get_secret", "fail_always", "reverse"), false).start();
        beta = new FixtureMcpServer(vertx, "beta", List.of("echo", "get_weather", "get_secret", "get_time"), true).start();
        downPort = freePort();
        try {
            configFile = Files.createTempFile("manifold-broker-test", ".yaml");
            Files.writeString(configFile, baseConfig());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return Map.of("manifold.broker.config-file", configFile.toString());
    }

    /** The config the tests start from. */
    /** Writes the base config back and waits until clients see its 7 tools again (test set-up and tear-down). */
    public static void restoreBaseConfig() throws java.io.IOException {
        java.nio.file.Files.writeString(configFile, baseConfig());
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20))
                .until(() -> McpClient.initialize().toolNames().size() == 7);
    }

    public static String baseConfig() {
        return """
                prefixMode: always
                servers:
                  - name: alpha
                    url: %s
                    toolPrefix: alpha_
                  - name: beta
                    url: %s
                    toolPrefix: beta_
                    toolFilter: { include: ["get_*"], exclude: ["get_secret"] }
                  - name: down
                    url: http://127.0.0.1:%d/mcp
                    toolPrefix: down_
                """.formatted(alpha.url(), beta.url(), downPort);
    }

    @Override
    public void stop() {
        if (alpha != null) {
            alpha.close();
        }
        if (beta != null) {
            beta.close();
        }
        if (vertx != null) {
            vertx.close();
        }
        try {
            if (configFile != null) {
                Files.deleteIfExists(configFile);
            }
        } catch (IOException ignored) {
            // temp file
        }
    }

    /** A port nobody listens on right now. */
    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
