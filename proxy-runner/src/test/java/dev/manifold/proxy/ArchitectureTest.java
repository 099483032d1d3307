package dev.manifold.proxy;

import dev.manifold.contracts.archguard.ArchitectureRules;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

/** The proxy-runner's packages form one chain (http → route → session), and no file holds several concerns. */
class ArchitectureTest {

    @Test
    void noPackageCycles() {
        ArchitectureRules.assertNoPackageCycles("dev.manifold.proxy");
    }

    @Test
    void noLongSourceFiles() {
        ArchitectureRules.assertNoLongSourceFiles(Path.of("src/main/java"), Map.of());
    }
}
