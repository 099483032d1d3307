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

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Observability that names the culprit: per-server up and state gauges, {@code disabled} as its own state, and the
 * readiness details listing the servers that are not Ready.
 */
@QuarkusTest
@WithTestResource(FixtureBackends.class)
class BackendStateMetricsTest {
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

    private void writeConfigWithGammaAndADisabledServer() throws Exception {
        Files.writeString(FixtureBackends.configFile, FixtureBackends.baseConfig() + """
                  - name: gamma
                    url: %s
                    toolPrefix: gamma_
                  - name: parked
                    url: http://127.0.0.1:%d/mcp
                    toolPrefix: parked_
                    enabled: false
                """.formatted(gamma.url(), FixtureBackends.downPort));
    }

    @Test
    void perServerGaugesFollowABackendThroughReadyUnhealthyAndReadyAgain() throws Exception {
        writeConfigWithGammaAndADisabledServer();
        await().ignoreExceptions().atMost(Duration.ofSeconds(20)).until(() -> metric("manifold_broker_backend_up{server=\"gamma\"}") == 1);
        assertEquals(1, metric("manifold_broker_backend_state{server=\"gamma\",state=\"ready\"}"));
        assertEquals(0, metric("manifold_broker_backend_state{server=\"gamma\",state=\"unhealthy\"}"));
        // The base config's "down" server has no listener: it is the culprit the gauges and readiness name.
        assertEquals(0, metric("manifold_broker_backend_up{server=\"down\"}"));
        given().get("/q/health/ready").then().statusCode(200)
                .body(containsString("\"notReady.down\""))
                .body(not(containsString("notReady.gamma")));

        gamma.stop();
        await().ignoreExceptions().atMost(Duration.ofSeconds(20)).until(() -> metric("manifold_broker_backend_up{server=\"gamma\"}") == 0);
        assertEquals(0, metric("manifold_broker_backend_state{server=\"gamma\",state=\"ready\"}"));
        assertEquals(1, metric("manifold_broker_backend_state{server=\"gamma\",state=\"unhealthy\"}")
                + metric("manifold_broker_backend_state{server=\"gamma\",state=\"quarantined\"}"));
        given().get("/q/health/ready").then().body(containsString("\"notReady.gamma\""));

        gamma.start();
        await().ignoreExceptions().atMost(Duration.ofSeconds(30)).until(() -> metric("manifold_broker_backend_up{server=\"gamma\"}") == 1);
        given().get("/q/health/ready").then().body(not(containsString("notReady.gamma")));
    }

    @Test
    void aDisabledServerIsDisabledNotPendingAndNeverNamedAsNotReady() throws Exception {
        double pendingBefore = metric("manifold_broker_backends{state=\"pending\"}");
        writeConfigWithGammaAndADisabledServer();
        await().ignoreExceptions().atMost(Duration.ofSeconds(20)).until(() -> McpClient.initialize().toolNames().contains("gamma_ping_me"));

        assertEquals(1, metric("manifold_broker_backend_state{server=\"parked\",state=\"disabled\"}"));
        assertEquals(0, metric("manifold_broker_backend_state{server=\"parked\",state=\"pending\"}"));
        assertEquals(0, metric("manifold_broker_backend_up{server=\"parked\"}"));
        assertEquals(1, metric("manifold_broker_backends{state=\"disabled\"}"));
        assertEquals(pendingBefore, metric("manifold_broker_backends{state=\"pending\"}"));
        given().get("/q/health/ready").then().statusCode(200)
                .body("checks[0].data.'backends.disabled'", equalTo(1))
                .body(not(containsString("notReady.parked")));
    }

    @Test
    void aRemovedServerLeavesNoSeriesBehind() throws Exception {
        writeConfigWithGammaAndADisabledServer();
        await().ignoreExceptions().atMost(Duration.ofSeconds(20)).until(() -> metric("manifold_broker_backend_up{server=\"gamma\"}") == 1);

        Files.writeString(FixtureBackends.configFile, FixtureBackends.baseConfig());
        await().ignoreExceptions().atMost(Duration.ofSeconds(20)).until(() -> !metrics().contains("server=\"gamma\""));
        String body = metrics();
        assertFalse(body.contains("server=\"parked\""), "series of a removed server remain");
    }

    @Test
    void theAppliedVersionIsExportedForTheNotAppliedAlert() throws Exception {
        String before = given().get("/q/health/ready").then().extract().path("checks[0].data.version");
        assertEquals(1, metric("manifold_broker_config_info{version=\"" + before + "\"}"));

        writeConfigWithGammaAndADisabledServer();
        await().ignoreExceptions().atMost(Duration.ofSeconds(20)).until(() ->
                !before.equals(given().get("/q/health/ready").then().extract().path("checks[0].data.version")));
        String after = given().get("/q/health/ready").then().extract().path("checks[0].data.version");
        assertEquals(1, metric("manifold_broker_config_info{version=\"" + after + "\"}"));
        assertFalse(metrics().contains("version=\"" + before + "\""), "the replaced version's series remains");
    }

    private static String metrics() {
        return given().get("/q/metrics").then().statusCode(200).extract().asString();
    }

    private static double metric(String series) {
        return ConfigReloadTest.metric(series);
    }
}
