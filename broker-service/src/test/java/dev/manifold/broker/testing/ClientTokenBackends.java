package dev.manifold.broker.testing;

import dev.manifold.runtime.testing.FixtureMcpServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Standalone broker with three backends that differ only in what they get from a client's token: {@code plain}
 * (nothing, the default), {@code pass} ({@code authPassthrough: true}) and {@code xchg} ({@code tokenExchange} at
 * {@link #tokenEndpoint}). The test plays the token endpoint: it records each exchange request's form, and issues
 * {@code xchg-<n>} tokens that live {@link #expiresIn} seconds, or refuses subject tokens listed in
 * {@link #refused} with {@code 400 invalid_grant}.
 */
public class ClientTokenBackends implements QuarkusTestResourceLifecycleManager {
    public static final String CLIENT_ID = "manifold-broker";
    public static final String CLIENT_SECRET = "client-secret-7f3a";

    public static volatile FixtureMcpServer plain;
    public static volatile FixtureMcpServer pass;
    public static volatile FixtureMcpServer xchg;
    /** The form of each request the token endpoint received, with its Authorization header under "#authorization". */
    public static final List<Map<String, String>> exchanges = new CopyOnWriteArrayList<>();
    public static final List<String> refused = new CopyOnWriteArrayList<>();
    public static volatile int expiresIn = 3600;
    private static final AtomicInteger issued = new AtomicInteger();
    private Vertx vertx;
    private HttpServer sts;

    public static String tokenEndpoint;

    @Override
    public Map<String, String> start() {
        vertx = Vertx.vertx();
        plain = new FixtureMcpServer(vertx, "plain", List.of("echo"), false).start();
        pass = new FixtureMcpServer(vertx, "pass", List.of("echo"), false).start();
        xchg = new FixtureMcpServer(vertx, "xchg", List.of("echo"), false).start();
        try {
            sts = vertx.createHttpServer().requestHandler(request -> request.body().onSuccess(body -> {
                Map<String, String> form = new HashMap<>();
                for (String pair : body.toString(StandardCharsets.UTF_8).split("&")) {
                    int eq = pair.indexOf('=');
                    if (eq > 0) {
                        form.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                                URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                    }
                }
                String authorization = request.getHeader("Authorization");
                if (authorization != null) {
                    form.put("#authorization", authorization);
                }
                exchanges.add(form);
                String basic = "Basic " + Base64.getEncoder().encodeToString((CLIENT_ID + ":" + CLIENT_SECRET)
                        .getBytes(StandardCharsets.UTF_8));
                boolean ok = basic.equals(authorization)
                        && "urn:ietf:params:oauth:grant-type:token-exchange".equals(form.get("grant_type"))
                        && form.get("subject_token") != null && !refused.contains(form.get("subject_token"));
                JsonObject answer = ok
                        ? new JsonObject().put("access_token", "xchg-" + issued.incrementAndGet())
                        .put("issued_token_type", "urn:ietf:params:oauth:token-type:access_token")
                        .put("token_type", "Bearer").put("expires_in", expiresIn)
                        : new JsonObject().put("error", "invalid_grant").put("error_description", "subject token refused");
                request.response().setStatusCode(ok ? 200 : 400).putHeader("Content-Type", "application/json")
                        .end(answer.encode());
            })).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            tokenEndpoint = "http://127.0.0.1:" + sts.actualPort() + "/oauth2/token";
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
                    """.formatted(plain.url(), pass.url(), xchg.url(), tokenEndpoint));
            return Map.of("manifold.broker.config-file", config.toString(),
                    "manifold.broker.token-exchange.client-id", CLIENT_ID,
                    "manifold.broker.token-exchange.client-secret", CLIENT_SECRET,
                    "manifold.broker.token-exchange.expiry-skew", "1s");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            throw new IllegalStateException("the token endpoint did not start", e);
        }
    }

    /** The exchanges the token endpoint was asked for with {@code subjectToken}. */
    public static List<Map<String, String>> exchangesOf(String subjectToken) {
        return exchanges.stream().filter(f -> subjectToken.equals(f.get("subject_token"))).toList();
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
