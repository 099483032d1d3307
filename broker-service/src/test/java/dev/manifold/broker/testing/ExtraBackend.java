package dev.manifold.broker.testing;

import dev.manifold.runtime.testing.FixtureMcpServer;
import io.vertx.core.Vertx;

import java.util.List;

/** One more fixture MCP server, on its own Vert.x, for tests that add a server to the base config and remove it. */
public final class ExtraBackend implements AutoCloseable {
    private final Vertx vertx;
    private final FixtureMcpServer server;

    private ExtraBackend(Vertx vertx, FixtureMcpServer server) {
        this.vertx = vertx;
        this.server = server;
    }

    /** Starts a JSON-answering fixture named {@code name} with {@code tools}. */
    public static ExtraBackend start(String name, List<String> tools) {
        Vertx vertx = Vertx.vertx();
        return new ExtraBackend(vertx, new FixtureMcpServer(vertx, name, tools, false).start());
    }

    public FixtureMcpServer server() {
        return server;
    }

    @Override
    public void close() {
        server.close();
        vertx.close();
    }
}
