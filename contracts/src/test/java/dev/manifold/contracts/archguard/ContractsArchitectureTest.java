package dev.manifold.contracts.archguard;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

/** contracts/ is one flat package of small files. */
class ContractsArchitectureTest {

    @Test
    void noLongSourceFiles() {
        ArchitectureRules.assertNoLongSourceFiles(Path.of("src/main/java"), Map.of());
    }
}
