package dev.manifold.it.conformance;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.manifold.it.support.BrokerConfigFile;
import dev.manifold.it.support.BrokerConfigFile.Server;
import dev.manifold.it.support.BrokerProcess;
import dev.manifold.it.support.ItEnvironment;
import dev.manifold.it.support.McpClientCli;
import dev.manifold.it.support.ProcessLogsOnFailure;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Conformance through the gateway (issue 6): the official MCP conformance suite
 * ({@code @modelcontextprotocol/conformance}, {@code server} mode, every scenario of the {@code active} suite) runs
 * against our conformance fixture (integration-tests/node/conformance-fixture.mjs) directly, then against the broker
 * fronting that fixture with {@code prefixMode: never}. A transparent gateway gives the very same result for every
 * check of every scenario.
 *
 * <p>The suite's version is pinned here and in integration-tests/node/package.json; the test fails if the installed
 * one differs. Scenarios the fixture cannot pass are listed, each with its reason, in
 * src/test/resources/conformance/expected-failures.yaml (empty today). What each scenario puts on the wire is in
 * integration-tests/node/CONFORMANCE-NOTES.md. To run the suite by hand: integration-tests/node/run-conformance.mjs.
 */
@ExtendWith(ProcessLogsOnFailure.class)
class ConformanceIT {

    /** The pinned suite version (integration-tests/node/package.json pins the same). */
    static final String SUITE_VERSION = "0.1.16";
    /** Every scenario except the pending ones (0.1.16: json-schema-2020-12 and server-sse-polling). */
    static final String SUITE = "active";
    /** How many scenarios the active suite of {@link #SUITE_VERSION} has. */
    static final int ACTIVE_SCENARIOS = 30;
    /** The tools the fixture serves; the broker is ready for the suite once it serves all of them. */
    static final Set<String> FIXTURE_TOOLS = Set.of("test_simple_text", "test_image_content", "test_audio_content",
            "test_embedded_resource", "test_multiple_content_types", "test_tool_with_logging", "test_error_handling",
            "test_tool_with_progress", "test_sampling", "test_elicitation", "test_elicitation_sep1034_defaults",
            "test_elicitation_sep1330_enums", "json_schema_2020_12_tool", "test_reconnection");

    private static final String NAME = "ConformanceIT";

    private static Path logs;
    private static Path work;
    private static ConformanceFixture fixture;
    private static ConformanceSuite.Run direct;

    @BeforeAll
    static void startFixtureAndRunTheSuiteDirectly() {
        logs = ItEnvironment.logDir(NAME);
        work = ItEnvironment.workDir(NAME);
        assertEquals(SUITE_VERSION, ConformanceSuite.installedVersion(),
                "installed @modelcontextprotocol/conformance (integration-tests/node/node_modules) is not the pinned "
                        + "version; run node integration-tests/node/ensure-deps.mjs");
        fixture = ConformanceFixture.start("conformance-fixture", logs);
        direct = ConformanceSuite.run("direct", fixture.url(), SUITE, SUITE_VERSION, expectedFailuresFile(), work,
                logs);
        System.out.println(direct.summary());
    }

    @AfterAll
    static void stopFixture() {
        if (fixture != null) {
            fixture.close();
        }
    }

    @Test
    void theFixturePassesTheWholeActiveSuiteDirectly() {
        assertEquals(SUITE_VERSION, direct.suiteVersion(), "the suite version that ran");
        assertEquals(ACTIVE_SCENARIOS, direct.scenarios().size(),
                "scenarios in the active suite of " + SUITE_VERSION + ": " + direct.scenarios().keySet());
        assertTrue(direct.unexpectedFailures().isEmpty() && direct.staleExpectedFailures().isEmpty(),
                "the fixture must pass every scenario not listed in expected-failures.yaml, and every listed one "
                        + "must still fail: " + direct.summary() + "\n" + failures(direct));
    }

    @Test
    void theBrokerFrontingTheFixtureGivesTheSameResultForEveryCheck() {
        BrokerConfigFile config = new BrokerConfigFile(work.resolve("broker.yaml"));
        config.writeInPlace(BrokerConfigFile.yaml("never",
                List.of(Server.of("conformance", fixture.url(), "conformance_"))));
        try (BrokerProcess broker = BrokerProcess.start("broker", config.path(), Map.of(), logs)) {
            await("the broker serves the fixture's " + FIXTURE_TOOLS.size() + " tools")
                    .atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                    .until(() -> {
                        McpClientCli.Session s = new McpClientCli(broker.mcpUrl()).listTools();
                        return s.ok() && s.toolNames().containsAll(FIXTURE_TOOLS);
                    });

            ConformanceSuite.Run viaBroker = ConformanceSuite.run("broker", broker.mcpUrl(), SUITE, SUITE_VERSION,
                    expectedFailuresFile(), work, logs);
            String table = ConformanceSuite.diffTable(direct, viaBroker);
            System.out.println(direct.summary() + "\n" + viaBroker.summary() + "\n" + table);
            assertTrue(ConformanceSuite.differingScenarios(direct, viaBroker).isEmpty(),
                    "the suite's checks differ between the fixture directly and the broker fronting it:\n" + table
                            + direct.summary() + "\n" + viaBroker.summary());
        }
    }

    private static Path expectedFailuresFile() {
        try {
            return Path.of(Objects.requireNonNull(ConformanceIT.class.getResource("/conformance/expected-failures.yaml"),
                    "conformance/expected-failures.yaml is not on the test classpath").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String failures(ConformanceSuite.Run run) {
        StringBuilder s = new StringBuilder();
        run.scenarios().values().stream().filter(sc -> !sc.passed()).forEach(sc -> {
            s.append("  ").append(sc.name()).append(sc.missing() ? " (no checks.json)" : "").append('\n');
            sc.checks().stream().filter(c -> c.status().equals("FAILURE") || c.status().equals("WARNING"))
                    .forEach(c -> s.append("      ").append(c.status()).append(' ').append(c.id()).append(": ")
                            .append(c.errorMessage()).append('\n'));
        });
        return s.toString();
    }
}
