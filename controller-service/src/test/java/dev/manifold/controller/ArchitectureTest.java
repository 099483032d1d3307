package dev.manifold.controller;

import dev.manifold.contracts.archguard.ArchitectureRules;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

/**
 * The controller's packages depend on each other one way (probes → reconciler → health → trigger, claims, validation
 * → api), and no file holds several concerns.
 */
class ArchitectureTest {

    @Test
    void noPackageCycles() {
        ArchitectureRules.assertNoPackageCycles("dev.manifold.controller");
    }

    @Test
    void noLongSourceFiles() {
        ArchitectureRules.assertNoLongSourceFiles(Path.of("src/main/java"), Map.of());
    }
}
