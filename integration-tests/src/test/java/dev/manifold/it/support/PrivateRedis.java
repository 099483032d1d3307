package dev.manifold.it.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.awaitility.Awaitility.await;

/**
 * A redis-server of the test's own on a free port, so it can be stopped and started without touching the shared
 * Redis. Stopping it saves its data to its own directory (SHUTDOWN SAVE) and starting it again loads it, like a
 * Redis restart with persistence.
 */
public final class PrivateRedis implements AutoCloseable {

    private final int port = ItEnvironment.freePort();
    private final Path dir;
    private final Path log;
    private Process process;

    public PrivateRedis(Path logDir) {
        this.dir = logDir.resolve("redis-" + port);
        this.log = logDir.resolve("redis-" + port + ".log");
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public PrivateRedis start() {
        try {
            process = new ProcessBuilder(List.of("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--dir", dir.toString()))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        await("private redis on " + port).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> "PONG".equals(cli("PING")));
        return this;
    }

    /** Stops the server (saving its data first) and waits until it is gone. */
    public void stop() {
        cli("SHUTDOWN", "SAVE");
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Runs one redis-cli command against this server; returns its output, trimmed ("" when it cannot run). */
    public String cli(String... args) {
        try {
            List<String> cmd = new java.util.ArrayList<>(List.of("redis-cli", "-p", Integer.toString(port)));
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
    public String hosts() {
        return "redis://127.0.0.1:" + port;
    }

    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
        }
    }
}
