package dev.manifold.it.proxy;

import dev.manifold.it.support.ItEnvironment;

import java.nio.file.Path;

/** Files only the proxy ITs need; repository root, ports, logs and jars come from {@link ItEnvironment}. */
final class ItPaths {

    private ItPaths() {
    }

    static Path serverEverything() {
        return ItEnvironment.serverEverything();
    }

    static Path bindHostPreload() {
        return ItEnvironment.bindHostPreload();
    }

    static Path logDir(String name) {
        return ItEnvironment.logDir("proxy/" + name);
    }
}
