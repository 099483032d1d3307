package dev.manifold.it.proxy;

import dev.manifold.it.support.ItEnvironment;

import java.nio.file.Files;
import java.nio.file.Path;

/** Files only the proxy ITs need; repository root, ports, logs and jars come from {@link ItEnvironment}. */
final class ItPaths {

    private ItPaths() {
    }

    static Path serverEverything() {
        Path entry = ItEnvironment.nodeDir().resolve("node_modules/@modelcontextprotocol/server-everything/dist/index.js");
        if (!Files.isRegularFile(entry)) {
            throw new IllegalStateException("server-everything is not installed (" + entry + " is missing). Run "
                    + "'npm ci --prefix integration-tests/node' once before the integration tests.");
        }
        return entry;
    }

    static Path bindHostPreload() {
        Path file = ItEnvironment.repoRoot().resolve("integration-tests/src/test/resources/proxy/bind-host.cjs");
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException("Missing " + file);
        }
        return file;
    }

    static Path logDir(String name) {
        return ItEnvironment.logDir("proxy/" + name);
    }
}
