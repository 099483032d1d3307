package dev.manifold.proxy.http;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * Two in-process HTTP "pods" for the standalone {@code @QuarkusTest}: each records every request it receives
 * (method, session header, protocol header) and answers with its own name, issuing a session id on initialize.
 * The routes file pointing at them is handed to the proxy-runner as its configuration.
 *
 * <p>Two more routes have one pod each that answers only the first request of every connection and closes the
 * connection (with a FIN on {@code demo/closing}, a RST on {@code demo/resetting}) when a second request comes on
 * it: what a server closing idle keep-alive connections does to a request that raced with its close.
 */
public class FakePods implements QuarkusTestResourceLifecycleManager {

    /** One received request, as the pod saw it ({@code traceparent}: the W3C trace header, null when absent). */
    public record Seen(String pod, String method, String sessionId, String protocol, String body, String traceparent) {
    }

    public static final Queue<Seen> SEEN = new ConcurrentLinkedQueue<>();
    /** Off while a test sends thousands of requests whose bodies it does not need to see (the hostile-input run). */
    public static volatile boolean recording = true;
    /** The headers of every request the two demo/fake pods received, in order. */
    public static final Queue<io.vertx.core.MultiMap> HEADERS = new ConcurrentLinkedQueue<>();
    /** Open SSE answers of "hold" requests, ended by {@link #releaseHeld()}. */
    static final Queue<io.vertx.core.http.HttpServerResponse> HELD = new ConcurrentLinkedQueue<>();
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
                        if (recording) {
                            SEEN.add(new Seen(name, req.method().name(), req.getHeader("Mcp-Session-Id"),
                                    req.getHeader("MCP-Protocol-Version"), body.toString(), req.getHeader("traceparent")));
                            HEADERS.add(io.vertx.core.MultiMap.caseInsensitiveMultiMap().addAll(req.headers()));
                        }
                        if (body.toString().contains("\"method\":\"hang\"")) {
                            return; // never answers: the proxy's response timeout must give up
                        }
                        if (req.getHeader("X-Test-Stall") != null) {
                            // A head and the start of a body, then nothing: a pod that froze mid-answer.
                            req.response().setChunked(true).putHeader("Content-Type", "application/json")
                                    .write("{\"jsonrpc\":\"2.0\",");
                            return;
                        }
                        if (body.toString().contains("\"method\":\"hold\"")
                                || req.method() == io.vertx.core.http.HttpMethod.GET && req.getHeader("X-Test-Hold") != null) {
                            // A stream that holds its connection until the test releases it.
                            req.response().setChunked(true).putHeader("Content-Type", "text/event-stream").writeHead();
                            HELD.add(req.response());
                            return;
                        }
                        if (body.toString().contains("\"method\":\"die\"")) {
                            // A pod that dies mid-call: an SSE head, half an event, then the connection is gone.
                            req.response().setChunked(true).putHeader("Content-Type", "text/event-stream").writeHead();
                            req.response().write("event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifi");
                            vertx.setTimer(50, t -> req.connection().close());
                            return;
                        }
                        if (body.toString().contains("\"method\":\"quiet-stream\"")) {
                            // Headers at once, the only event well after the proxy's response timeout.
                            req.response().setChunked(true).putHeader("Content-Type", "text/event-stream").writeHead();
                            vertx.setTimer(2 * RESPONSE_TIMEOUT_MS, t -> req.response().end(
                                    "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"pod\":\"" + name + "\"}}\n\n"));
                            return;
                        }
                        if (body.toString().contains("\"method\":\"big\"")) {
                            // A sized body far larger than one read: relayed in many chunks, the last with the end.
                            req.response().putHeader("Content-Type", "application/json").end(bigResult(name));
                            return;
                        }
                        if (body.toString().contains("\"method\":\"chunks\"")) {
                            // Chunked, not SSE: three chunks, apart in time, then the end.
                            var out = req.response().setChunked(true).putHeader("Content-Type", "application/json");
                            out.write("{\"jsonrpc\":\"2.0\",\"id\":1,");
                            vertx.setTimer(20, t1 -> {
                                out.write("\"result\":{\"pod\":");
                                vertx.setTimer(20, t2 -> out.end("\"" + name + "\"}}"));
                            });
                            return;
                        }
                        // What a typical Express server adds: the proxy-runner must not pass these on.
                        var resp = req.response().putHeader("Content-Type", "application/json")
                                .putHeader("X-Powered-By", "Express").putHeader("Server", "fake-pod/1.0")
                                .putHeader("Access-Control-Allow-Origin", "*");
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
        routes.append("  - server: demo/closing\n    pods:\n      - { name: closing-0, url: \"http://127.0.0.1:")
                .append(oneRequestPerConnection("closing-0", false)).append("/mcp\" }\n");
        routes.append("  - server: demo/resetting\n    pods:\n      - { name: resetting-0, url: \"http://127.0.0.1:")
                .append(oneRequestPerConnection("resetting-0", true)).append("/mcp\" }\n");
        try {
            Path file = Files.createTempFile("proxy-routes", ".yaml");
            Files.writeString(file, routes);
            return Map.of("manifold.proxy.routes-file", file.toString(), "manifold.proxy.session-store", "memory",
                    "manifold.proxy.response-timeout", RESPONSE_TIMEOUT_MS + "ms");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** POSTs one message to the fake route {@code demo/fake}, in session {@code sid} when it is not null. */
    public static io.restassured.response.Response post(String sid, String body) {
        var spec = io.restassured.RestAssured.given().contentType("application/json")
                .accept("application/json, text/event-stream").header("MCP-Protocol-Version", "2025-06-18");
        if (sid != null) {
            spec = spec.header("Mcp-Session-Id", sid);
        }
        return spec.body(body).post("/demo/fake/mcp");
    }

    /** Ends every held stream with one event, freeing its connection. */
    public static void releaseHeld() {
        io.vertx.core.http.HttpServerResponse held;
        while ((held = HELD.poll()) != null) {
            io.vertx.core.http.HttpServerResponse response = held;
            response.end("event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"released\":true}}\n\n");
        }
    }

    /** The answer to "big": a JSON-RPC result of about 1 MiB, the same for a pod every time. */
    static String bigResult(String pod) {
        return "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"pod\":\"" + pod + "\",\"data\":\""
                + "0123456789abcdef".repeat(65536) + "\"}}";
    }

    /**
     * A raw HTTP/1.1 pod that answers the first request on a connection (keep-alive, so the proxy pools it) and
     * closes the connection without an answer when another request arrives on it; {@code reset}: with a RST.
     * Returns its port.
     */
    private int oneRequestPerConnection(String name, boolean reset) {
        NetServerOptions options = new NetServerOptions().setHost("127.0.0.1").setPort(0);
        if (reset) {
            options.setSoLinger(0); // close() then sends a RST instead of a FIN
        }
        NetServer server = vertx.createNetServer(options).connectHandler(socket -> {
            Buffer received = Buffer.buffer();
            boolean[] answered = {false};
            socket.handler(data -> {
                if (answered[0]) {
                    socket.close(); // a second request on this connection: closed before any answer
                    return;
                }
                received.appendBuffer(data);
                answerIfComplete(name, socket, received, answered);
            });
        });
        try {
            server.listen().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return server.actualPort();
    }

    private static void answerIfComplete(String name, NetSocket socket, Buffer received, boolean[] answered) {
        String text = received.toString(StandardCharsets.ISO_8859_1);
        int headEnd = text.indexOf("\r\n\r\n");
        if (headEnd < 0) {
            return;
        }
        String method = text.substring(0, text.indexOf(' '));
        String sessionId = null;
        String protocol = null;
        String traceparent = null;
        int length = 0;
        for (String line : text.substring(0, headEnd).split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String header = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).trim();
            switch (header) {
                case "content-length" -> length = Integer.parseInt(value);
                case "mcp-session-id" -> sessionId = value;
                case "mcp-protocol-version" -> protocol = value;
                case "traceparent" -> traceparent = value;
                default -> {
                }
            }
        }
        if (received.length() < headEnd + 4 + length) {
            return;
        }
        String body = received.getString(headEnd + 4, headEnd + 4 + length, "UTF-8");
        SEEN.add(new Seen(name, method, sessionId, protocol, body, traceparent));
        answered[0] = true;
        String json = "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"pod\":\"" + name + "\"}}";
        StringBuilder head = new StringBuilder("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
                .append("Content-Length: ").append(json.length()).append("\r\n");
        if (body.contains("\"initialize\"")) {
            head.append("Mcp-Session-Id: ").append(name).append('-').append(UUID.randomUUID()).append("\r\n");
        }
        socket.write(head.append("\r\n").append(json).toString());
    }

    @Override
    public void stop() {
        if (vertx != null) {
            vertx.close();
        }
    }
}
