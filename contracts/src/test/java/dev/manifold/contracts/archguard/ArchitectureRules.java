package dev.manifold.contracts.archguard;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.Architectures;
import com.tngtech.archunit.library.dependencies.SlicesRuleDefinition;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The rules every module's {@code ArchitectureTest} applies to its own main code, so that each module is a place a
 * newcomer can read top-down: no package cycles, and no source file so long that it holds several concerns.
 */
public final class ArchitectureRules {

    /** A main source file longer than this holds more than one concern. */
    public static final int MAX_SOURCE_LINES = 450;

    private ArchitectureRules() {
    }

    /** The module's main classes under {@code rootPackage} (tests and jars left out). */
    public static JavaClasses mainClasses(String rootPackage) {
        return new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_JARS)
                .importPackages(rootPackage);
    }

    /** No two packages directly under {@code rootPackage} depend on each other, directly or through others. */
    public static void assertNoPackageCycles(String rootPackage) {
        JavaClasses classes = mainClasses(rootPackage);
        assertTrue(classes.size() > 0, "no classes found under " + rootPackage);
        SlicesRuleDefinition.slices().matching(rootPackage + ".(*)..").should().beFreeOfCycles()
                .check(classes);
    }

    /**
     * Each package under {@code rootPackage} may use only the packages listed after it: {@code topToBottom} names
     * them from the entry point down (a package's subpackages belong to it). A package not listed is not checked.
     */
    public static void assertLayers(String rootPackage, List<String> topToBottom) {
        Architectures.LayeredArchitecture layers = Architectures.layeredArchitecture().consideringOnlyDependenciesInLayers();
        for (String pkg : topToBottom) {
            layers = layers.layer(pkg).definedBy(rootPackage + "." + pkg + "..");
        }
        for (int i = 0; i < topToBottom.size(); i++) {
            if (i == 0) {
                layers = layers.whereLayer(topToBottom.get(0)).mayNotBeAccessedByAnyLayer();
            } else {
                layers = layers.whereLayer(topToBottom.get(i))
                        .mayOnlyBeAccessedByLayers(topToBottom.subList(0, i).toArray(String[]::new));
            }
        }
        layers.check(mainClasses(rootPackage));
    }

    /**
     * No Java file under {@code sourceDir} is longer than {@link #MAX_SOURCE_LINES}, except those in {@code
     * shrinking} (path relative to {@code sourceDir} → its length when it was listed): a listed file may only get
     * shorter, and is to be split until it leaves the list.
     */
    public static void assertNoLongSourceFiles(Path sourceDir, Map<String, Integer> shrinking) {
        Map<String, Integer> lengths = new TreeMap<>();
        try (Stream<Path> files = Files.walk(sourceDir)) {
            for (Path file : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                lengths.put(sourceDir.relativize(file).toString().replace('\\', '/'), Files.readAllLines(file).size());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertTrue(!lengths.isEmpty(), "no Java sources under " + sourceDir.toAbsolutePath());
        List<String> problems = new ArrayList<>();
        lengths.forEach((file, lines) -> {
            Integer allowed = shrinking.get(file);
            if (allowed == null && lines > MAX_SOURCE_LINES) {
                problems.add(file + " has " + lines + " lines (at most " + MAX_SOURCE_LINES + "): split it by concern");
            } else if (allowed != null && lines > allowed) {
                problems.add(file + " grew to " + lines + " lines; it is listed to shrink from " + allowed);
            }
        });
        shrinking.forEach((file, allowed) -> {
            Integer lines = lengths.get(file);
            if (lines == null || lines <= MAX_SOURCE_LINES) {
                problems.add(file + " is listed as too long but is " + (lines == null ? "gone" : lines + " lines")
                        + ": take it off the list");
            }
        });
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }
}
