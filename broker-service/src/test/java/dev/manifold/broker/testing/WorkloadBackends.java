package dev.manifold.broker.testing;

import dev.manifold.runtime.testing.FixtureMcpServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.RequestOptions;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Kubernetes mode with a workload server: a stand-in for the proxy-runner on {@code manifold.broker.proxy-runner-url}
 * that serves the route {@code /team-w/wl/mcp} by relaying to a fixture MCP server (the "pod"), or, while
 * {@link #podsReady} is false, answers as the proxy-runner does when the workload has no ready pod: 503,
 * Retry-After and a JSON-RPC error. It records every path and method it was asked, so a test can see that
 * every exchange took the proxy-runner's route.
 */
public class WorkloadBackends implements QuarkusTestResourceLifecycleManager {
    public static final String ROUTE = "/team-w/wl/mcp";
    public static volatile FixtureMcpServer pod;
    public static volatile String prefix;
    public static volatile boolean podsReady = true;
    /** False: answers as a proxy-runner that has not applied the config with this workload yet (404, no route). */
    public static volatile boolean routed = true;
    /** "METHOD path" of every request the stand-in received. */
    public static final List<String> seen = new CopyOnWriteArrayList<>();
    private Vertx vertx;
    private HttpServer server;

    @Override
    public Map<String, String> start() {
        vertx = Vertx.vertx();
        pod = new FixtureMcpServer(vertx, "wl", List.of("echo", "get_weather"), false).start();
        prefix = "mf-test-wl-" + UUID.randomUUID();
        HttpClient toPod = vertx.createHttpClient();
        server = vertx.createHttpServer().requestHandler(req -> {
            seen.add(req.method() + " " + req.path());
            if (!ROUTE.equals(req.path())) {
                req.response().setStatusCode(404).putHeader("Content-Type", "application/json")
                        .end("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32001,\"message\":\"No route\"}}");
                return;
            }
            if (!routed) {
                req.response().setStatusCode(404).putHeader("Content-Type", "application/json")
                        .end("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,\"message\":"
                                + "\"No MCP server is routed at " + ROUTE + "\"}}");
                return;
            }
            if (!podsReady) {
                req.response().setStatusCode(503).putHeader("Retry-After", "1").putHeader("Content-Type", "application/json")
                        .end("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32000,\"message\":\"No ready pod for team-w/wl\"}}");
                return;
            }
            req.pause();
            RequestOptions out = new RequestOptions().setMethod(req.method()).setAbsoluteURI(pod.url());
            req.headers().forEach(h -> {
                if (!h.getKey().equalsIgnoreCase("Host")) {
                    out.addHeader(h.getKey(), h.getValue());
                }
            });
            toPod.request(out).onSuccess(podReq -> {
                podReq.response().onSuccess(podResp -> {
                    req.response().setStatusCode(podResp.statusCode());
                    podResp.headers().forEach(h -> req.response().putHeader(h.getKey(), h.getValue()));
                    podResp.pipeTo(req.response());
                }).onFailure(f -> req.response().setStatusCode(502).end());
                if (req.method() == HttpMethod.GET || req.method() == HttpMethod.DELETE) {
                    req.resume();
                    podReq.end();
                } else {
                    req.pipeTo(podReq);
                }
            }).onFailure(f -> req.response().setStatusCode(502).end());
        });
        try {
            server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("stand-in proxy-runner did not start", e);
        }
        return Map.of(
                "manifold.broker.redis-prefix", prefix,
                "manifold.broker.proxy-runner-url", "http://127.0.0.1:" + server.actualPort() + "/",
                "manifold.broker.probe-interval", "1s",
                "manifold.broker.config-resync-interval", "2s",
                "quarkus.kubernetes-client.api-server-url", "http://127.0.0.1:" + FixtureBackends.freePort(),
                "quarkus.kubernetes-client.namespace", "manifold-test");
    }

    @Override
    public void stop() {
        server.close();
        pod.close();
        vertx.close();
    }
}
