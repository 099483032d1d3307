package dev.manifold.broker;

import dev.manifold.contracts.archguard.ArchitectureRules;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The broker reads top-down: a package uses only the packages below it. A {@code tools/call} goes
 * {@code http → rpc → session → upstream}, its answer back through {@code relay} and {@code reply}; config flows {@code gateway → catalog, upstream}; {@code settings} and
 * {@code telemetry} are used by all.
 */
class ArchitectureTest {

    static final List<String> TOP_TO_BOTTOM = List.of("probes", "http", "rpc", "relay", "reply", "health", "session",
            "gateway", "catalog", "upstream", "telemetry", "settings");

    @Test
    void noPackageCycles() {
        ArchitectureRules.assertNoPackageCycles("dev.manifold.broker");
    }

    @Test
    void noPackageUsesOneAboveIt() {
        ArchitectureRules.assertLayers("dev.manifold.broker", TOP_TO_BOTTOM);
    }

    @Test
    void noLongSourceFiles() {
        ArchitectureRules.assertNoLongSourceFiles(Path.of("src/main/java"), Map.of());
    }
}
