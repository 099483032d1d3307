package dev.manifold.it.support;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A real {@code @modelcontextprotocol/server-everything} in streamableHttp mode on a free loopback port, started the
 * way a user starts it ({@code PORT=<port> mcp-server-everything streamableHttp}). Each instance gets
 * {@code MANIFOLD_IT_BACKEND=<name>} in its environment, so its {@code get-env} tool proves which backend answered.
 */
public final class ServerEverything implements AutoCloseable {

    /** The environment variable that tells otherwise identical backends apart through their get-env tool. */
    public static final String IDENTITY_VARIABLE = "MANIFOLD_IT_BACKEND";

    private final String name;
    private final int port;
    private final ManagedProcess process;

    private ServerEverything(String name, int port, ManagedProcess process) {
        this.name = name;
        this.port = port;
        this.process = process;
    }

    /** Starts it on a free port and waits until it accepts connections. */
    public static ServerEverything start(String name, Path logDir) {
        return startOnPort(name, ItEnvironment.freePort(), logDir);
    }

    /** Starts it on {@code port} (e.g. one a broker is already configured for) and waits until it listens. */
    public static ServerEverything startOnPort(String name, int port, Path logDir) {
        Path nodeDir = ItEnvironment.nodeDir();
        ManagedProcess process = ManagedProcess.start("server-everything-" + name,
                List.of(ItEnvironment.node(),
                        nodeDir.resolve("node_modules/@modelcontextprotocol/server-everything/dist/index.js")
                                .toString(),
                        "streamableHttp"),
                nodeDir, Map.of("PORT", Integer.toString(port), IDENTITY_VARIABLE, name), logDir);
        ServerEverything server = new ServerEverything(name, port, process);
        try {
            await("server-everything " + name + " listening on " + port)
                    .atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> {
                        process.assertAlive();
                        return acceptsConnections(port);
                    });
        } catch (RuntimeException | AssertionError e) {
            process.close();
            throw new AssertionError("server-everything " + name + " did not start\n" + process.describe(), e);
        }
        return server;
    }

    private static boolean acceptsConnections(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    public String name() {
        return name;
    }

    public int port() {
        return port;
    }

    /** Its MCP endpoint, http://127.0.0.1:&lt;port&gt;/mcp. */
    public String url() {
        return "http://127.0.0.1:" + port + "/mcp";
    }

    public ManagedProcess process() {
        return process;
    }

    @Override
    public void close() {
        process.close();
    }
}
