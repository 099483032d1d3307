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
 * {@link #sts}, scope {@code tools.read}), with the broker's token-exchange client id and secret set, {@link #sts}
 * the one allowed endpoint, and an expiry skew of 1 s. Besides: {@link #shared} and {@link #rogue}.
 */
public class ClientTokenBackends implements QuarkusTestResourceLifecycleManager {
    public static final String CLIENT_ID = "manifold-broker";
    public static final String CLIENT_SECRET = "client-secret-7f3a";

    public static volatile FixtureMcpServer plain;
    public static volatile FixtureMcpServer pass;
    public static volatile FixtureMcpServer xchg;
    /** Two entries share its URL, one plain and one with authPassthrough: neither gets a client's token. */
    public static volatile FixtureMcpServer shared;
    /** tokenExchange at an endpoint not in allowed-endpoints, and one asking for an audience not allowed. */
    public static volatile FixtureMcpServer rogue;
    public static final String ROGUE_ENDPOINT = "https://attacker.example/token";
    public static volatile TestTokenEndpoint sts;
    private Vertx vertx;

    @Override
    public Map<String, String> start() {
        vertx = Vertx.vertx();
        plain = new FixtureMcpServer(vertx, "plain", List.of("echo"), false).start();
        pass = new FixtureMcpServer(vertx, "pass", List.of("echo"), false).withFeatures().start();
        xchg = new FixtureMcpServer(vertx, "xchg", List.of("echo"), false).start();
        shared = new FixtureMcpServer(vertx, "shared", List.of("echo"), false).start();
        rogue = new FixtureMcpServer(vertx, "rogue", List.of("echo"), false).start();
        sts = new TestTokenEndpoint(vertx, CLIENT_ID, CLIENT_SECRET);
        try {
            Path config = Files.createTempDirectory("manifold-client-tokens").resolve("servers.yaml");
            Files.writeString(config, """
                    servers:
                      - name: plain
                        url: %1$s
                        toolPrefix: plain_
                      - name: pass
                        url: %2$s
                        toolPrefix: pass_
                        authPassthrough: true
                      - name: xchg
                        url: %3$s
                        toolPrefix: xchg_
                        tokenExchange:
                          tokenEndpoint: %4$s
                          scopes: [tools.read]
                      - name: shared-a
                        url: %5$s
                        toolPrefix: shareda_
                      - name: shared-b
                        url: %5$s
                        toolPrefix: sharedb_
                        authPassthrough: true
                      - name: rogue-endpoint
                        url: %6$s
                        toolPrefix: rogueend_
                        tokenExchange: { tokenEndpoint: "%7$s" }
                      - name: rogue-audience
                        url: %8$s
                        toolPrefix: rogueaud_
                        tokenExchange: { tokenEndpoint: "%4$s", audience: "https://payroll.example" }
                    """.formatted(plain.url(), pass.url(), xchg.url(), sts.url(), shared.url(), rogue.url(), ROGUE_ENDPOINT,
                    rogue.url().replace("127.0.0.1", "localhost")));
            return Map.of("manifold.broker.config-file", config.toString(),
                    "manifold.broker.token-exchange.allowed-endpoints", sts.url(),
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
        shared.close();
        rogue.close();
        sts.close();
        vertx.close();
    }
}
