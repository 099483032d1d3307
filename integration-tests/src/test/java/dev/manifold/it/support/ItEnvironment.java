package dev.manifold.it.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the ITs find things (the repository, the packaged jars, Node and the npm peers) and where they put their
 * logs and scratch files. Values come from system properties that integration-tests/pom.xml passes to failsafe, so
 * an IT also runs from an IDE when those properties are set. Never writes outside the module's target/.
 */
public final class ItEnvironment {

    private ItEnvironment() {
    }

    /** The repository root ({@code manifold.repo.root}). */
    public static Path repoRoot() {
        String root = System.getProperty("manifold.repo.root");
        if (root == null || root.isBlank()) {
            throw new IllegalStateException("system property manifold.repo.root is not set; run the ITs with "
                    + "./mvnw -B verify -Pit (integration-tests/pom.xml passes it)");
        }
        return Path.of(root).toAbsolutePath().normalize();
    }

    /** The Node.js executable used for the npm MCP peers ({@code manifold.it.node}, default {@code node}). */
    public static String node() {
        return System.getProperty("manifold.it.node", "node");
    }

    /** integration-tests/node, with its node_modules installed (the {@code it} profile runs ensure-deps.mjs). */
    public static Path nodeDir() {
        Path dir = repoRoot().resolve("integration-tests/node");
        if (!Files.isDirectory(dir.resolve("node_modules/@modelcontextprotocol/sdk"))) {
            throw new IllegalStateException(dir + "/node_modules is missing; run `node " + dir
                    + "/ensure-deps.mjs` (the Maven `it` profile does this before the ITs)");
        }
        return dir;
    }

    /** The packaged broker (Quarkus fast-jar), which the reactor builds before this module. */
    public static Path brokerJar() {
        return serviceJar("broker-service");
    }

    /** The packaged proxy-runner (Quarkus fast-jar), which the reactor builds before this module. */
    public static Path proxyJar() {
        return serviceJar("proxy-runner");
    }

    /** The packaged controller (Quarkus fast-jar), which the reactor builds before this module. */
    public static Path controllerJar() {
        return serviceJar("controller-service");
    }

    private static Path serviceJar(String module) {
        Path jar = repoRoot().resolve(module + "/target/quarkus-app/quarkus-run.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " does not exist; build it with "
                    + "./mvnw -B -pl " + module + " -am package -DskipTests");
        }
        return jar;
    }

    /** server-everything's entry point (node_modules/@modelcontextprotocol/server-everything/dist/index.js). */
    public static Path serverEverything() {
        Path entry = nodeDir().resolve("node_modules/@modelcontextprotocol/server-everything/dist/index.js");
        if (!Files.isRegularFile(entry)) {
            throw new IllegalStateException("server-everything is not installed (" + entry + " is missing). Run "
                    + "'node integration-tests/node/ensure-deps.mjs' once before the integration tests.");
        }
        return entry;
    }

    /**
     * The Node preload ({@code node -r}) that makes server-everything listen on the address in {@code HOST}, so
     * each simulated pod has its own loopback IP.
     */
    public static Path bindHostPreload() {
        Path file = repoRoot().resolve("integration-tests/src/test/resources/proxy/bind-host.cjs");
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException("Missing " + file);
        }
        return file;
    }

    /** The java launcher of the JVM running the tests (Java 17, the build's JDK). */
    public static Path javaExecutable() {
        return Path.of(System.getProperty("java.home"), "bin", "java");
    }

    /** A directory for one test class's process logs: target/it-logs/&lt;name&gt;. */
    public static Path logDir(String name) {
        return ensureDir(Path.of(System.getProperty("manifold.it.logs", "target/it-logs")).resolve(name));
    }

    /** A fresh scratch directory for one test class (config files): target/it-work/&lt;name&gt;. */
    public static Path workDir(String name) {
        return ensureDir(Path.of(System.getProperty("manifold.it.work", "target/it-work")).resolve(name));
    }

    /**
     * A TCP port that was free on every local address a moment ago (the proxy ITs bind pods to 127.0.0.x, so the
     * port must be free on all of them, not only on 127.0.0.1). The small window before the child process
     * binds it is unavoidable for processes that take their port as an argument; a bind failure shows in its log.
     */
    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("0.0.0.0"))) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free loopback port", e);
        }
    }

    private static Path ensureDir(Path dir) {
        try {
            return Files.createDirectories(dir.toAbsolutePath().normalize());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir, e);
        }
    }
}
