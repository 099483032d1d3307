package dev.manifold.it.proxy;

import dev.manifold.it.support.ItEnvironment;
import dev.manifold.it.support.ManagedProcess;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;

/**
 * One simulated StatefulSet pod: a real server-everything process bound to its own loopback address. Its
 * environment carries {@code POD_NAME}, which the {@code get-env} tool reveals, so a test can see which process
 * served a call without trusting the proxy. server-everything is stateful: it rejects session ids it did not issue.
 */
final class BackendPod implements AutoCloseable {

    final String name;
    final String address;
    final int port;
    private final Path logDir;
    private ManagedProcess process;

    BackendPod(String name, String address, int port, Path logDir) {
        this.name = name;
        this.address = address;
        this.port = port;
        this.logDir = logDir;
    }

    /** The pod DNS name the proxy-runner is configured with (resolved through the test hosts file). */
    String dnsName() {
        return name + ".echo-headless.demo.svc.cluster.local";
    }

    BackendPod start() {
        process = ManagedProcess.start(name, List.of(ItEnvironment.node(), "-r", ItPaths.bindHostPreload().toString(),
                        ItPaths.serverEverything().toString(), "streamableHttp"), ItEnvironment.repoRoot(),
                Map.of("HOST", address, "PORT", Integer.toString(port), "POD_NAME", name), logDir);
        await("pod " + name + " listening on " + address + ":" + port).atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(100)).until(this::listening);
        return this;
    }

    private boolean listening() {
        if (!process.isAlive()) {
            throw new IllegalStateException("pod " + name + " exited; " + process.describe());
        }
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(address, port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** SIGKILL, like a node failure: no goodbye to anyone. */
    void kill9() {
        process.kill();
    }

    /** How many sessions this process itself says it initialized (from its own log). */
    long sessionsInitialized() {
        return process.logText().lines().filter(l -> l.startsWith("Session initialized with ID")).count();
    }

    @Override
    public void close() {
        if (process != null) {
            process.kill();
        }
    }
}
