package dev.manifold.runtime;

import dev.manifold.contracts.archguard.ArchitectureRules;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

/** runtime/ is one package of small, single-purpose classes. */
class RuntimeArchitectureTest {

    @Test
    void noLongSourceFiles() {
        ArchitectureRules.assertNoLongSourceFiles(Path.of("src/main/java"), Map.of());
    }
}
