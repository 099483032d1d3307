package dev.manifold.broker;

import dev.manifold.broker.testing.ExtraBackend;
import dev.manifold.broker.testing.FixtureBackends;
import dev.manifold.runtime.testing.FixtureMcpServer;
import dev.manifold.broker.testing.McpClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The standalone file lifecycle: an edit is applied once and incrementally; an invalid edit keeps the last good
 * config; a removed backend gets no more requests.
 */
@QuarkusTest
@WithTestResource(FixtureBackends.class)
class ConfigReloadTest {
    private ExtraBackend extra;
    private FixtureMcpServer gamma;

    @BeforeEach
    void setUp() throws Exception {
        FixtureBackends.restoreBaseConfig();
        extra = ExtraBackend.start("gamma", List.of("ping_me"));
        gamma = extra.server();
    }

    @AfterEach
    void tearDown() throws Exception {
        FixtureBackends.restoreBaseConfig();
        extra.close();
    }

    @Test
    void addingAServerAppliesOnceAndLeavesTheOthersUntouched() throws Exception {
        double applies = metric("manifold_broker_config_applies_total");
        double alphaConnects = metric("manifold_broker_backend_connects_total{server=\"alpha\"}");
        double betaConnects = metric("manifold_broker_backend_connects_total{server=\"beta\"}");

        Files.writeString(FixtureBackends.configFile, FixtureBackends.baseConfig() + """
                  - name: gamma
                    url: %s
                    toolPrefix: gamma_
                """.formatted(gamma.url()));

        await().atMost(Duration.ofSeconds(20)).until(() -> McpClient.initialize().toolNames().contains("gamma_ping_me"));
        assertEquals(applies + 1, metric("manifold_broker_config_applies_total"));
        assertEquals(alphaConnects, metric("manifold_broker_backend_connects_total{server=\"alpha\"}"));
        assertEquals(betaConnects, metric("manifold_broker_backend_connects_total{server=\"beta\"}"));

        McpClient.initialize().call("gamma_ping_me", "hi").then().statusCode(200)
                .body(containsString("ping_me from gamma: hi"));
    }

    @Test
    void anInvalidEditIsRejectedAndTheLastGoodConfigStaysInForce() throws Exception {
        double applies = metric("manifold_broker_config_applies_total");
        double rejected = metric("manifold_broker_config_rejected_total");

        Files.writeString(FixtureBackends.configFile, FixtureBackends.baseConfig() + "    toolPrefx: oops\n");

        await().atMost(Duration.ofSeconds(20)).until(() -> metric("manifold_broker_config_rejected_total") > rejected);
        assertEquals(applies, metric("manifold_broker_config_applies_total"));
        assertEquals(7, McpClient.initialize().toolNames().size());
        given().get("/q/health/ready").then().statusCode(200).body(containsString("unknown field 'toolPrefx'"));
    }

    @Test
    void aRemovedServerGetsNoFurtherRequests() throws Exception {
        Files.writeString(FixtureBackends.configFile, FixtureBackends.baseConfig() + """
                  - name: gamma
                    url: %s
                    toolPrefix: gamma_
                """.formatted(gamma.url()));
        await().atMost(Duration.ofSeconds(20)).until(() -> McpClient.initialize().toolNames().contains("gamma_ping_me"));
        // let it be probed at least once, so the monitor is demonstrably running before removal
        await().atMost(Duration.ofSeconds(20)).until(() -> gamma.requests("ping") > 0);

        Files.writeString(FixtureBackends.configFile, FixtureBackends.baseConfig());
        await().atMost(Duration.ofSeconds(20)).until(() -> !McpClient.initialize().toolNames().contains("gamma_ping_me"));
        int afterRemoval = gamma.requests();
        // three probe intervals (500 ms in tests) pass with no request reaching the removed server
        await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(5))
                .until(() -> gamma.requests() == afterRemoval);
    }

    static double metric(String series) {
        String body = given().get("/q/metrics").then().statusCode(200).extract().asString();
        Matcher m = Pattern.compile("^" + Pattern.quote(series) + " ([0-9.eE+-]+)$", Pattern.MULTILINE).matcher(body);
        assertTrue(m.find(), "metric " + series + " not found");
        return Double.parseDouble(m.group(1));
    }
}
