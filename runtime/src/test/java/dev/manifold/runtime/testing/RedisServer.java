package dev.manifold.runtime.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.awaitility.Awaitility.await;

/**
 * A {@code redis-server} of a test's own, on a free port, for tests that stop, restart or otherwise disturb Redis:
 * the machine's shared Redis on 6379 must never be touched. Only the process started here is ever stopped. The one
 * such helper of the project (runtime's test-jar); the services' test resources build on it.
 *
 * <p>{@link #stop()} kills the server (a crash: nothing is saved); {@link #shutdownSaving()} is a clean SHUTDOWN SAVE
 * into its own directory, which {@link #start()} loads again, like a restart with persistence. It comes back on the
 * same port either way.
 */
public final class RedisServer implements AutoCloseable {

    private final int port;
    private final Path dir;
    private final Path log;
    private Process process;

    /** A server whose data directory and log live in {@code dir} (created if missing). */
    public RedisServer(Path dir) {
        this.port = freePort();
        this.dir = dir;
        this.log = dir.resolve("redis-" + port + ".log");
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A server in a fresh temporary directory. */
    public static RedisServer temporary() {
        try {
            return new RedisServer(Files.createTempDirectory("manifold-redis-"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts the server (again, on the same port) and waits until it answers PING. */
    public synchronized RedisServer start() {
        try {
            process = new ProcessBuilder(List.of("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--dir", dir.toString()))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException("redis-server is needed for this test", e);
        }
        await("redis-server on " + port).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> "PONG".equals(cli("PING")));
        return this;
    }

    /** Kills the server, as a crash would, and waits until its port is free. */
    public synchronized void stop() {
        if (process != null) {
            process.destroyForcibly();
            try {
                process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            process = null;
        }
        await("port " + port + " free").atMost(Duration.ofSeconds(10)).until(() -> !listening());
    }

    /** Stops the server cleanly, saving its data to its directory first; {@link #start()} loads it again. */
    public synchronized void shutdownSaving() {
        cli("SHUTDOWN", "SAVE");
        if (process != null) {
            try {
                process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            process = null;
        }
    }

    /** Runs one redis-cli command against this server; its output, trimmed ("" when it cannot run). */
    public String cli(String... args) {
        try {
            List<String> cmd = new ArrayList<>(List.of("redis-cli", "-p", Integer.toString(port)));
            cmd.addAll(List.of(args));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            p.waitFor();
            return out;
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    public int port() {
        return port;
    }

    /** The {@code quarkus.redis.hosts} value for this server. */
    /** A client of this server with a connection of its own, as the services' data source is. */
    public io.quarkus.redis.runtime.datasource.ReactiveRedisDataSourceImpl dataSource(io.vertx.mutiny.core.Vertx vertx) {
        io.vertx.mutiny.redis.client.Redis client = io.vertx.mutiny.redis.client.Redis.createClient(vertx, hosts());
        return new io.quarkus.redis.runtime.datasource.ReactiveRedisDataSourceImpl(vertx, client,
                io.vertx.mutiny.redis.client.RedisAPI.api(client));
    }

    public String hosts() {
        return "redis://127.0.0.1:" + port;
    }

    @Override
    public void close() {
        stop();
    }

    private boolean listening() {
        try (Socket ignored = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
