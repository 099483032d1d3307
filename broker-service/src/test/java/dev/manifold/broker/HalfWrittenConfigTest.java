package dev.manifold.broker;

import dev.manifold.broker.testing.FixtureBackends;
import dev.manifold.broker.testing.McpClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import static dev.manifold.broker.ConfigReloadTest.metric;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A config file written slowly in place is applied only when complete, and a file whose server list is missing
 * (cut short, or {@code servers:} with nothing after it) never removes every backend; {@code servers: []} does.
 * The test profile debounces file events for 100 ms and lets the file settle for the default 1 s.
 */
@QuarkusTest
@WithTestResource(FixtureBackends.class)
class HalfWrittenConfigTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    /** Longer than the 100 ms debounce, so every chunk is read on its own; shorter than the 1 s settle window. */
    private static final Duration PAUSE = Duration.ofMillis(300);

    @BeforeEach
    void setUp() throws Exception {
        FixtureBackends.restoreBaseConfig();
    }

    @AfterEach
    void tearDown() throws Exception {
        FixtureBackends.restoreBaseConfig();
    }

    @Test
    void aFileWrittenSlowlyInPlaceIsAppliedOnceWhenComplete() throws Exception {
        double applies = metric("manifold_broker_config_applies_total");
        double rejected = metric("manifold_broker_config_rejected_total");
        // The final config drops beta and down: every prefix of it (line by line) is a different config or none.
        String complete = """
                prefixMode: always
                servers:
                  - name: alpha
                    url: %s
                    toolPrefix: alpha_
                """.formatted(FixtureBackends.alpha.url());

        try (OutputStream out = Files.newOutputStream(FixtureBackends.configFile, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            for (String line : complete.lines().toList()) {
                out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
                Thread.sleep(PAUSE.toMillis()); // the slow writer is the scenario, not a wait for the broker
            }
        }

        Set<String> alphaOnly = Set.of("alpha_echo", "alpha_get_weather", "alpha_get_secret", "alpha_fail_always",
                "alpha_reverse");
        await().atMost(WAIT).until(() -> Set.copyOf(McpClient.initialize().toolNames()).equals(alphaOnly));
        assertEquals(applies + 1, metric("manifold_broker_config_applies_total"), "only the complete file is applied");
        assertEquals(rejected, metric("manifold_broker_config_rejected_total"), "no half-written file is judged");
    }

    @Test
    void serversWithNothingAfterItKeepsTheLastConfigAndItsBackends() throws Exception {
        double applies = metric("manifold_broker_config_applies_total");
        double rejected = metric("manifold_broker_config_rejected_total");
        List<String> before = McpClient.initialize().toolNames();

        Files.writeString(FixtureBackends.configFile, "prefixMode: always\nservers:\n");

        await().atMost(WAIT).until(() -> metric("manifold_broker_config_rejected_total") > rejected);
        assertEquals(applies, metric("manifold_broker_config_applies_total"));
        assertEquals(before, McpClient.initialize().toolNames());
        McpClient.initialize().call("alpha_echo", "still here").then().statusCode(200)
                .body(containsString("echo from alpha: still here"));
        given().get("/q/health/ready").then().statusCode(200)
                .body(containsString("servers: empty; write 'servers: []' for a config with no servers"))
                .body(containsString("line 2"));
    }

    @Test
    void anExplicitlyEmptyServerListRemovesEveryServer() throws Exception {
        double applies = metric("manifold_broker_config_applies_total");

        Files.writeString(FixtureBackends.configFile, "prefixMode: always\nservers: []\n");

        await().atMost(WAIT).until(() -> McpClient.initialize().toolNames().isEmpty());
        assertEquals(applies + 1, metric("manifold_broker_config_applies_total"));
    }
}
