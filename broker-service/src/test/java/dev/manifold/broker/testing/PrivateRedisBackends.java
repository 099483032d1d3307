package dev.manifold.broker.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Kubernetes mode against a Redis of the test's own ({@code redis-server} on a free port, nothing persisted), for
 * tests that disturb Redis itself (kill its connections, read its command statistics) and so must not use the
 * machine's shared Redis. One fixture MCP server, {@code alpha}, for the configs the test publishes.
 */
public class PrivateRedisBackends implements QuarkusTestResourceLifecycleManager {
    public static volatile FixtureMcpServer alpha;
    public static volatile String prefix;
    public static volatile int port;
    private Vertx vertx;
    private Process redis;

    @Override
    public Map<String, String> start() {
        port = FixtureBackends.freePort();
        try {
            redis = new ProcessBuilder("redis-server", "--port", String.valueOf(port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            throw new IllegalStateException("redis-server is needed for this test", e);
        }
        awaitPong();
        vertx = Vertx.vertx();
        alpha = new FixtureMcpServer(vertx, "alpha", List.of("echo"), false).start();
        prefix = "mf-test-" + UUID.randomUUID();
        return Map.of(
                "quarkus.redis.hosts", "redis://127.0.0.1:" + port,
                "manifold.broker.redis-prefix", prefix,
                // the pub/sub watch pings every max(1s, resync / 4): every second here
                "manifold.broker.config-resync-interval", "2s",
                // no cluster here: the ConfigMap fallback points at an address nothing listens on and fails fast
                "quarkus.kubernetes-client.api-server-url", "http://127.0.0.1:" + FixtureBackends.freePort(),
                "quarkus.kubernetes-client.namespace", "manifold-test");
    }

    private void awaitPong() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            try (Socket socket = new Socket("127.0.0.1", port)) {
                socket.getOutputStream().write("PING\r\n".getBytes());
                InputStream in = socket.getInputStream();
                byte[] buf = new byte[7];
                if (in.read(buf) > 0 && new String(buf).startsWith("+PONG")) {
                    return;
                }
            } catch (IOException notYet) {
                java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            }
        }
        throw new IllegalStateException("redis-server on port " + port + " did not start");
    }

    @Override
    public void stop() {
        alpha.close();
        vertx.close();
        redis.destroy();
        try {
            redis.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
