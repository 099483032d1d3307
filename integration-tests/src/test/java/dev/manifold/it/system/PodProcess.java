package dev.manifold.it.system;

import static org.awaitility.Awaitility.await;

import dev.manifold.it.support.ItEnvironment;
import dev.manifold.it.support.ManagedProcess;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One real {@code @modelcontextprotocol/server-everything} (streamableHttp) listening on its own loopback "pod IP"
 * (the bind-host preload), with {@code POD_NAME} in its environment so its {@code get-env} tool tells which process
 * answered. Used for StatefulSet pods ({@link Kubelet}) and for the backend of a Service an HTTPRoute points at.
 */
final class PodProcess implements AutoCloseable {

    private final String name;
    private final String address;
    private final int port;
    private final ManagedProcess process;

    private PodProcess(String name, String address, int port, ManagedProcess process) {
        this.name = name;
        this.address = address;
        this.port = port;
        this.process = process;
    }

    /** Starts it and waits until it accepts connections on {@code address:port}. */
    static PodProcess start(String name, String address, int port, Map<String, String> env, Path logDir) {
        Map<String, String> environment = new HashMap<>(env);
        environment.put("HOST", address);
        environment.put("PORT", Integer.toString(port));
        environment.put("POD_NAME", name);
        ManagedProcess process = ManagedProcess.start(name, List.of(ItEnvironment.node(), "-r",
                        ItEnvironment.bindHostPreload().toString(), ItEnvironment.serverEverything().toString(),
                        "streamableHttp"), ItEnvironment.repoRoot(), environment, logDir);
        PodProcess pod = new PodProcess(name, address, port, process);
        try {
            await(name + " listening on " + address + ":" + port).atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(100)).until(() -> {
                        process.assertAlive();
                        return pod.listening();
                    });
        } catch (RuntimeException | AssertionError e) {
            process.kill();
            throw e;
        }
        return pod;
    }

    private boolean listening() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(address, port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    String name() {
        return name;
    }

    String address() {
        return address;
    }

    int port() {
        return port;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** How many MCP sessions this process says it initialized (its own log). */
    long sessionsInitialized() {
        return process.logText().lines().filter(l -> l.startsWith("Session initialized with ID")).count();
    }

    /** SIGKILL, like a lost node: no goodbye to anyone. */
    void kill9() {
        process.kill();
    }

    @Override
    public void close() {
        process.kill();
    }
}
