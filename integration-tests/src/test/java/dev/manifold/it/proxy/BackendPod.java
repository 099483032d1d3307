package dev.manifold.it.proxy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

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
    private final Path log;
    private Process process;

    BackendPod(String name, String address, int port, Path logDir) {
        this.name = name;
        this.address = address;
        this.port = port;
        this.log = logDir.resolve(name + ".log");
    }

    /** The pod DNS name the proxy-runner is configured with (resolved through the test hosts file). */
    String dnsName() {
        return name + ".echo-headless.demo.svc.cluster.local";
    }

    BackendPod start() {
        ProcessBuilder pb = new ProcessBuilder(List.of("node", "-r", ItPaths.bindHostPreload().toString(),
                ItPaths.serverEverything().toString(), "streamableHttp"))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().put("HOST", address);
        pb.environment().put("PORT", Integer.toString(port));
        pb.environment().put("POD_NAME", name);
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        await("pod " + name + " listening on " + address + ":" + port).atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(100)).until(this::listening);
        return this;
    }

    private boolean listening() {
        if (!process.isAlive()) {
            throw new IllegalStateException("pod " + name + " exited; see " + log);
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
        process.destroyForcibly();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** How many sessions this process itself says it initialized (from its own log). */
    long sessionsInitialized() {
        try {
            return Files.readAllLines(log).stream().filter(l -> l.startsWith("Session initialized with ID")).count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            kill9();
        }
    }
}
