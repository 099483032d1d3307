package dev.manifold.it.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.manifold.it.support.ItEnvironment;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One run of the official conformance suite in {@code server} mode, through integration-tests/node/run-conformance.mjs
 * (which starts the suite with Node 22 and writes {@code results.json}), and the comparison of two runs.
 */
final class ConformanceSuite {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Generous: a scenario whose request goes unanswered waits for the SDK client's 60 s request timeout. */
    private static final long RUN_TIMEOUT_MINUTES = 20;

    private ConformanceSuite() {
    }

    /** One check of a scenario, as the suite's checks.json has it. */
    record Check(String id, String name, String status, String errorMessage) {

        String signature() {
            return id + ":" + status;
        }
    }

    /** One scenario: passed = no FAILURE and no WARNING check (the suite's own baseline rule). */
    record Scenario(String name, boolean passed, boolean missing, List<Check> checks) {

        List<String> signature() {
            return checks.stream().map(Check::signature).toList();
        }
    }

    /** A whole run: what results.json says, plus where its files are. */
    record Run(String label, String url, String suiteVersion, int exitCode, Map<String, Scenario> scenarios,
            List<String> unexpectedFailures, List<String> staleExpectedFailures, Path outDir, Path log) {

        long passedCount() {
            return scenarios.values().stream().filter(Scenario::passed).count();
        }

        String summary() {
            return label + ": " + passedCount() + "/" + scenarios.size() + " scenarios passed against " + url
                    + (unexpectedFailures.isEmpty() ? "" : "; unexpected failures " + unexpectedFailures)
                    + (staleExpectedFailures.isEmpty() ? "" : "; stale expected failures " + staleExpectedFailures)
                    + " (results " + outDir.resolve("results.json") + ", suite log " + log + ")";
        }
    }

    /** The version of the suite installed in integration-tests/node/node_modules. */
    static String installedVersion() {
        Path pkg = ItEnvironment.nodeDir().resolve("node_modules/@modelcontextprotocol/conformance/package.json");
        try {
            return JSON.readTree(pkg.toFile()).path("version").asText();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + pkg, e);
        }
    }

    /**
     * Runs the suite ({@code suite} = active, all or pending) against {@code url}; results go to
     * {@code workDir/label}, the runner's output to {@code logDir/conformance-label.log}.
     */
    static Run run(String label, String url, String suite, String expectedVersion, Path expectedFailures,
            Path workDir, Path logDir) {
        Path nodeDir = ItEnvironment.nodeDir();
        Path out = workDir.resolve(label);
        Path log = logDir.resolve("conformance-" + label + ".log");
        List<String> command = new ArrayList<>(List.of(ItEnvironment.node(),
                nodeDir.resolve("run-conformance.mjs").toString(), "run",
                "--url", url, "--out", out.toString(), "--suite", suite, "--expect-version", expectedVersion));
        if (expectedFailures != null) {
            command.addAll(List.of("--expected-failures", expectedFailures.toString()));
        }
        try {
            Files.createDirectories(out);
            Files.deleteIfExists(out.resolve("results.json"));
            Process process = new ProcessBuilder(command).directory(nodeDir.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.to(log.toFile())).start();
            if (!process.waitFor(RUN_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                throw new AssertionError("the conformance suite against " + url + " did not finish within "
                        + RUN_TIMEOUT_MINUTES + " minutes; see " + log);
            }
            Path results = out.resolve("results.json");
            if (!Files.isRegularFile(results)) {
                throw new AssertionError("run-conformance.mjs wrote no " + results + " (exit " + process.exitValue()
                        + "):\n" + Files.readString(log));
            }
            return parse(label, JSON.readTree(results.toFile()), out, log);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run the conformance suite: " + String.join(" ", command), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static Run parse(String label, JsonNode results, Path out, Path log) {
        Map<String, Scenario> scenarios = new LinkedHashMap<>();
        results.path("scenarios").fields().forEachRemaining(entry -> {
            List<Check> checks = new ArrayList<>();
            entry.getValue().path("checks").forEach(c -> checks.add(new Check(c.path("id").asText(),
                    c.path("name").asText(), c.path("status").asText(),
                    c.hasNonNull("errorMessage") ? c.get("errorMessage").asText() : null)));
            scenarios.put(entry.getKey(), new Scenario(entry.getKey(), entry.getValue().path("passed").asBoolean(),
                    entry.getValue().path("missing").asBoolean(false), checks));
        });
        return new Run(label, results.path("url").asText(), results.path("suiteVersion").asText(),
                results.path("exitCode").asInt(), scenarios, strings(results.path("summary").path("unexpectedFailures")),
                strings(results.path("summary").path("staleExpectedFailures")), out, log);
    }

    private static List<String> strings(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(v -> values.add(v.asText()));
        return values;
    }

    /** The scenarios whose checks (id and status, in order) differ between the two runs, or that only one ran. */
    static List<String> differingScenarios(Run a, Run b) {
        Set<String> names = new LinkedHashSet<>(a.scenarios().keySet());
        names.addAll(b.scenarios().keySet());
        return names.stream().filter(n -> !Objects.equals(signature(a, n), signature(b, n))).toList();
    }

    private static List<String> signature(Run run, String scenario) {
        Scenario s = run.scenarios().get(scenario);
        return s == null ? null : s.missing() ? List.of("<no checks.json>") : s.signature();
    }

    /**
     * A per-scenario table of the two runs: pass/fail on each side and whether the checks are identical; under each
     * differing scenario, both check lists and the second run's error messages.
     */
    static String diffTable(Run a, Run b) {
        Set<String> names = new LinkedHashSet<>(a.scenarios().keySet());
        names.addAll(b.scenarios().keySet());
        int width = Math.max("scenario".length(), names.stream().mapToInt(String::length).max().orElse(0));
        String row = "%-" + width + "s  %-8s  %-8s  %s%n";
        StringBuilder t = new StringBuilder();
        t.append(String.format(row, "scenario", a.label(), b.label(), "identical"));
        t.append("-".repeat(width + 32)).append('\n');
        List<String> differing = differingScenarios(a, b);
        for (String name : names) {
            boolean same = !differing.contains(name);
            t.append(String.format(row, name, mark(a, name), mark(b, name), same ? "yes" : "NO"));
            if (!same) {
                t.append("      ").append(a.label()).append(": ").append(describe(a, name)).append('\n');
                t.append("      ").append(b.label()).append(": ").append(describe(b, name)).append('\n');
                Scenario s = b.scenarios().get(name);
                if (s != null) {
                    s.checks().stream().filter(c -> c.errorMessage() != null).forEach(c -> t.append("      ")
                            .append(b.label()).append(' ').append(c.id()).append(": ").append(c.errorMessage())
                            .append('\n'));
                }
            }
        }
        t.append(differing.size()).append(" of ").append(names.size()).append(" scenarios differ\n");
        return t.toString();
    }

    private static String mark(Run run, String scenario) {
        Scenario s = run.scenarios().get(scenario);
        return s == null ? "-" : s.passed() ? "pass" : "FAIL";
    }

    private static String describe(Run run, String scenario) {
        List<String> signature = signature(run, scenario);
        return signature == null ? "(not run)" : String.join(" ", signature);
    }
}
