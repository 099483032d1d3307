package dev.manifold.runtime.testing;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An OAuth token endpoint that performs RFC 8693 token exchanges, for tests of the broker's {@code tokenExchange}.
 * It accepts a request only with HTTP Basic client authentication of the configured client and grant type
 * {@code urn:ietf:params:oauth:grant-type:token-exchange} with a {@code subject_token}, and issues
 * {@code xchg-<n>} tokens living {@link #expiresIn(int)} seconds (3600 at first); a subject token named with
 * {@link #refuse} gets {@code 400 invalid_grant}. It records the form of every request it receives.
 */
public final class TestTokenEndpoint implements AutoCloseable {
    /** The Authorization header a request carried, recorded in its form under this key. */
    public static final String AUTHORIZATION = "#authorization";

    private final HttpServer server;
    private final String expectedBasic;
    private final List<Map<String, String>> requests = new CopyOnWriteArrayList<>();
    private final List<String> refused = new CopyOnWriteArrayList<>();
    private final AtomicInteger issued = new AtomicInteger();
    private volatile int expiresIn = 3600;

    public TestTokenEndpoint(Vertx vertx, String clientId, String clientSecret) {
        this.expectedBasic = "Basic " + Base64.getEncoder().encodeToString((clientId + ":" + clientSecret)
                .getBytes(StandardCharsets.UTF_8));
        try {
            this.server = vertx.createHttpServer().requestHandler(r -> r.body().onSuccess(body -> answer(r,
                    body.toString(StandardCharsets.UTF_8)))).listen(0, "127.0.0.1").toCompletionStage()
                    .toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("the token endpoint did not start", e);
        }
    }

    private void answer(HttpServerRequest request, String body) {
        Map<String, String> form = new HashMap<>();
        for (String pair : body.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                form.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        String authorization = request.getHeader("Authorization");
        if (authorization != null) {
            form.put(AUTHORIZATION, authorization);
        }
        requests.add(form);
        boolean ok = expectedBasic.equals(authorization)
                && "urn:ietf:params:oauth:grant-type:token-exchange".equals(form.get("grant_type"))
                && form.get("subject_token") != null && !refused.contains(form.get("subject_token"));
        JsonObject answer = ok
                ? new JsonObject().put("access_token", "xchg-" + issued.incrementAndGet())
                .put("issued_token_type", "urn:ietf:params:oauth:token-type:access_token")
                .put("token_type", "Bearer").put("expires_in", expiresIn)
                : new JsonObject().put("error", "invalid_grant").put("error_description", "subject token refused");
        request.response().setStatusCode(ok ? 200 : 400).putHeader("Content-Type", "application/json").end(answer.encode());
    }

    /** The token endpoint's URL. */
    public String url() {
        return "http://127.0.0.1:" + server.actualPort() + "/oauth2/token";
    }

    /** The form of every request received, in order, with its Authorization under {@link #AUTHORIZATION}. */
    public List<Map<String, String>> requests() {
        return List.copyOf(requests);
    }

    /** The requests that asked to exchange {@code subjectToken}. */
    public List<Map<String, String>> exchangesOf(String subjectToken) {
        return requests.stream().filter(f -> subjectToken.equals(f.get("subject_token"))).toList();
    }

    /** Exchanges of {@code subjectToken} are refused from now on. */
    public void refuse(String subjectToken) {
        refused.add(subjectToken);
    }

    /** Tokens issued from now on live {@code seconds}. */
    public void expiresIn(int seconds) {
        this.expiresIn = seconds;
    }

    @Override
    public void close() {
        server.close();
    }
}
