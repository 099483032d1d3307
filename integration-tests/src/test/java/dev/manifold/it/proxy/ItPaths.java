package dev.manifold.it.proxy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** Where the proxy ITs find the packaged proxy-runner, the npm peers and a place for process logs. */
final class ItPaths {

    private ItPaths() {
    }

    static Path repoRoot() {
        String root = System.getProperty("manifold.repo.root");
        if (root == null || root.isBlank()) {
            throw new IllegalStateException("System property manifold.repo.root is not set; run through "
                    + "'./mvnw -B -pl integration-tests -am verify -Pit'");
        }
        return Paths.get(root).toAbsolutePath();
    }

    static Path proxyJar() {
        Path jar = repoRoot().resolve("proxy-runner/target/quarkus-app/quarkus-run.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("The packaged proxy-runner is missing at " + jar
                    + "; build with './mvnw -B -pl integration-tests -am verify -Pit'");
        }
        return jar;
    }

    static Path serverEverything() {
        Path entry = repoRoot().resolve(
                "integration-tests/node/node_modules/@modelcontextprotocol/server-everything/dist/index.js");
        if (!Files.isRegularFile(entry)) {
            throw new IllegalStateException("server-everything is not installed (" + entry + " is missing). Run "
                    + "'npm ci --prefix integration-tests/node' once before the integration tests.");
        }
        return entry;
    }

    static Path bindHostPreload() {
        Path file = repoRoot().resolve("integration-tests/src/test/resources/proxy/bind-host.cjs");
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException("Missing " + file);
        }
        return file;
    }

    static Path logDir(String name) {
        Path dir = repoRoot().resolve("integration-tests/target/it-logs/proxy/" + name);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }

    /** A TCP port free on every loopback address right now. */
    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("0.0.0.0"))) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
