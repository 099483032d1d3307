package dev.manifold.proxy.http;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * Two in-process HTTP "pods" for the standalone {@code @QuarkusTest}: each records every request it receives
 * (method, session header, protocol header) and answers with its own name, issuing a session id on initialize.
 * The routes file pointing at them is handed to the proxy-runner as its configuration.
 */
public class FakePods implements QuarkusTestResourceLifecycleManager {

    /** One received request, as the pod saw it. */
    public record Seen(String pod, String method, String sessionId, String protocol, String body) {
    }

    public static final Queue<Seen> SEEN = new ConcurrentLinkedQueue<>();
    /** The proxy-runner's response timeout in these tests. */
    public static final long RESPONSE_TIMEOUT_MS = 700;
    private Vertx vertx;

    @Override
    public Map<String, String> start() {
        vertx = Vertx.vertx();
        StringBuilder routes = new StringBuilder("routes:\n  - server: demo/fake\n    pods:\n");
        for (String name : List.of("fake-0", "fake-1")) {
            HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
                    .requestHandler(req -> req.body().onSuccess(body -> {
                        SEEN.add(new Seen(name, req.method().name(), req.getHeader("Mcp-Session-Id"),
                                req.getHeader("MCP-Protocol-Version"), body.toString()));
                        if (body.toString().contains("\"method\":\"hang\"")) {
                            return; // never answers: the proxy's response timeout must give up
                        }
                        if (body.toString().contains("\"method\":\"quiet-stream\"")) {
                            // Headers at once, the only event well after the proxy's response timeout.
                            req.response().setChunked(true).putHeader("Content-Type", "text/event-stream").writeHead();
                            vertx.setTimer(2 * RESPONSE_TIMEOUT_MS, t -> req.response().end(
                                    "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"pod\":\"" + name + "\"}}\n\n"));
                            return;
                        }
                        var resp = req.response().putHeader("Content-Type", "application/json");
                        if (body.toString().contains("\"initialize\"")) {
                            resp.putHeader("Mcp-Session-Id", name + "-" + UUID.randomUUID());
                        }
                        resp.end("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"pod\":\"" + name + "\"}}");
                    }));
            try {
                server.listen().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            routes.append("      - { name: ").append(name).append(", url: \"http://127.0.0.1:")
                    .append(server.actualPort()).append("/mcp\" }\n");
        }
        try {
            Path file = Files.createTempFile("proxy-routes", ".yaml");
            Files.writeString(file, routes);
            return Map.of("manifold.proxy.routes-file", file.toString(), "manifold.proxy.session-store", "memory",
                    "manifold.proxy.response-timeout", RESPONSE_TIMEOUT_MS + "ms");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {
        if (vertx != null) {
            vertx.close();
        }
    }
}
