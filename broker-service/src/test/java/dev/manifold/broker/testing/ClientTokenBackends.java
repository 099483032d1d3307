package dev.manifold.broker.testing;

import dev.manifold.runtime.testing.FixtureMcpServer;
import dev.manifold.runtime.testing.TestTokenEndpoint;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Standalone broker with three backends that differ only in what they get from a client's token: {@code plain}
 * (nothing, the default), {@code pass} ({@code authPassthrough: true}) and {@code xchg} ({@code tokenExchange} at
 * {@link #sts}, scope {@code tools.read}), with the broker's token-exchange client id and secret set and an
 * expiry skew of 1 s.
 */
public class ClientTokenBackends implements QuarkusTestResourceLifecycleManager {
    public static final String CLIENT_ID = "manifold-broker";
    public static final String CLIENT_SECRET = "client-secret-7f3a";

    public static volatile FixtureMcpServer plain;
    public static volatile FixtureMcpServer pass;
    public static volatile FixtureMcpServer xchg;
    public static volatile TestTokenEndpoint sts;
    private Vertx vertx;

    @Override
    public Map<String, String> start() {
        vertx = Vertx.vertx();
        plain = new FixtureMcpServer(vertx, "plain", List.of("echo"), false).start();
        pass = new FixtureMcpServer(vertx, "pass", List.of("echo"), false).start();
        xchg = new FixtureMcpServer(vertx, "xchg", List.of("echo"), false).start();
        sts = new TestTokenEndpoint(vertx, CLIENT_ID, CLIENT_SECRET);
        try {
            Path config = Files.createTempDirectory("manifold-client-tokens").resolve("servers.yaml");
            Files.writeString(config, """
                    servers:
                      - name: plain
                        url: %s
                        toolPrefix: plain_
                      - name: pass
                        url: %s
                        toolPrefix: pass_
                        authPassthrough: true
                      - name: xchg
                        url: %s
                        toolPrefix: xchg_
                        tokenExchange:
                          tokenEndpoint: %s
                          scopes: [tools.read]
                    """.formatted(plain.url(), pass.url(), xchg.url(), sts.url()));
            return Map.of("manifold.broker.config-file", config.toString(),
                    "manifold.broker.token-exchange.client-id", CLIENT_ID,
                    "manifold.broker.token-exchange.client-secret", CLIENT_SECRET,
                    "manifold.broker.token-exchange.expiry-skew", "1s");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {
        plain.close();
        pass.close();
        xchg.close();
        sts.close();
        vertx.close();
    }
}
