package dev.manifold.it.support;

import dev.manifold.runtime.testing.RedisServer;

import java.nio.file.Path;

/**
 * A redis-server of the test's own on a free port, so it can be stopped and started without touching the shared
 * Redis. Stopping it saves its data to its own directory (SHUTDOWN SAVE) and starting it again loads it, like a
 * Redis restart with persistence.
 */
public final class PrivateRedis implements AutoCloseable {

    private final RedisServer server;

    public PrivateRedis(Path logDir) {
        this.server = new RedisServer(logDir.resolve("redis-" + System.nanoTime()));
    }

    public PrivateRedis start() {
        server.start();
        return this;
    }

    /** Stops the server (saving its data first) and waits until it is gone. */
    public void stop() {
        server.shutdownSaving();
    }

    /** Runs one redis-cli command against this server; returns its output, trimmed ("" when it cannot run). */
    public String cli(String... args) {
        return server.cli(args);
    }

    public int port() {
        return server.port();
    }

    /** The {@code quarkus.redis.hosts} value for this server. */
    public String hosts() {
        return server.hosts();
    }

    @Override
    public void close() {
        server.close();
    }
}
