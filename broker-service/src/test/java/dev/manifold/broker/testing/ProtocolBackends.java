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
 * Backends for the protocol tests, prefix mode {@code always}:
 * <ul>
 *   <li>{@code one} (prefix {@code one_}, JSON answers): prompts, resources, a template, completion, logging,
 *       subscribe; tools echo, ask, askcancel, progress, hang, slow, drop;</li>
 *   <li>{@code two} (prefix {@code two_}, SSE answers): the same features; tools echo, ask;</li>
 *   <li>{@code flat} (prefix {@code flat_}): stateless 2026-07-28 only (refuses initialize); tool echo;</li>
 *   <li>{@code quiet} (prefix {@code quiet_}): its GET answers 405; tool echo.</li>
 * </ul>
 * Server-to-client requests time out after 3 s here.
 */
public class ProtocolBackends implements QuarkusTestResourceLifecycleManager {
    public static volatile FixtureMcpServer one;
    public static volatile FixtureMcpServer two;
    public static volatile FixtureMcpServer flat;
    public static volatile FixtureMcpServer quiet;
    private Vertx vertx;
    private Path file;

    @Override
    public Map<String, String> start() {
        vertx = Vertx.vertx();
        one = new FixtureMcpServer(vertx, "one", List.of("echo", "ask", "askget", "askcancel", "progress", "hang", "slow", "drop"), false).withFeatures().start();
        two = new FixtureMcpServer(vertx, "two", List.of("echo", "ask"), true).withFeatures().start();
        flat = new FixtureMcpServer(vertx, "flat", List.of("echo"), false).stateless().start();
        quiet = new FixtureMcpServer(vertx, "quiet", List.of("echo"), false).withoutGetStream().start();
        try {
            file = Files.createTempFile("manifold-protocol", ".yaml");
            Files.writeString(file, """
                    prefixMode: always
                    servers:
                      - { name: one, url: "%s", toolPrefix: one_ }
                      - { name: two, url: "%s", toolPrefix: two_ }
                      - { name: flat, url: "%s", toolPrefix: flat_ }
                      - { name: quiet, url: "%s", toolPrefix: quiet_ }
                    """.formatted(one.url(), two.url(), flat.url(), quiet.url()));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return Map.of(
                "manifold.broker.config-file", file.toString(),
                "manifold.broker.server-request-timeout", "3s",
                "manifold.broker.local-responses", "json");
    }

    @Override
    public void stop() {
        one.close();
        two.close();
        flat.close();
        quiet.close();
        vertx.close();
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // temp file
        }
    }
}
