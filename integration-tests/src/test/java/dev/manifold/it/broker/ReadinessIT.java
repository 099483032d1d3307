package dev.manifold.it.broker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.manifold.it.support.BrokerConfigFile;
import dev.manifold.it.support.BrokerConfigFile.Server;
import dev.manifold.it.support.BrokerProcess;
import dev.manifold.it.support.ItEnvironment;
import dev.manifold.it.support.McpClientCli;
import dev.manifold.it.support.ProcessLogsOnFailure;
import dev.manifold.it.support.ServerEverything;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A new broker replica must not take traffic with an empty tool list: readiness waits until every backend of the
 * first config has finished its first connect attempt, and never longer than {@code readiness-discovery-wait}. The
 * slow backend is a black hole: a listening socket that is never accepted, so connects succeed (the kernel's
 * backlog) and no answer ever comes.
 */
@ExtendWith(ProcessLogsOnFailure.class)
class ReadinessIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static Path logs;
    private static ServerEverything alpha;
    private static ServerSocket blackHole;
    private static Set<String> alphaTools;

    private BrokerProcess broker;

    @BeforeAll
    static void startBackends() throws IOException {
        logs = ItEnvironment.logDir("ReadinessIT");
        alpha = ServerEverything.start("alpha", logs);
        blackHole = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        alphaTools = new TreeSet<>();
        new McpClientCli(alpha.url()).withCapabilities(McpClientCli.BROKER_DISCOVERY_CAPABILITIES).listTools()
                .toolNames().forEach(name -> alphaTools.add("alpha_" + name));
    }

    @AfterAll
    static void stopBackends() throws IOException {
        if (blackHole != null) {
            blackHole.close();
        }
        if (alpha != null) {
            alpha.close();
        }
    }

    @AfterEach
    void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void notReadyWhileABackendsFirstConnectIsPendingThenReadyWithTheOthersToolsServed(TestInfo test) {
        broker = start(test, Map.of("manifold.broker.connect-timeout", "6s"));

        AtomicReference<JsonNode> pending = new AtomicReference<>();
        await("alpha ready while the black hole is still connecting").atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    HttpResponse<String> ready = broker.get("/q/health/ready");
                    JsonNode data = data(ready);
                    pending.set(data);
                    return data.path("backends.ready").asInt() == 1 && data.path("backends.pending").asInt() == 1;
                });
        // The config is applied and one backend serves, but the broker is not ready yet: the other one may still
        // come up, and a client routed here now would see only part of the tools.
        HttpResponse<String> notYet = broker.get("/q/health/ready");
        assertEquals(503, notYet.statusCode(), notYet.body());
        assertEquals("pending", pending.get().path("discovery").asText(), pending.get().toString());
        assertTrue(pending.get().has("version"), pending.get().toString());

        await("ready once the black hole's first attempt timed out").atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(100))
                .until(broker::isReady);
        // At the first moment it is ready, the backend that answered is already served.
        Set<String> served = broker.client().listTools().toolNames();
        assertTrue(served.containsAll(alphaTools), "alpha's tools are served as soon as the broker is ready: " + served);
        JsonNode ready = data(broker.get("/q/health/ready"));
        assertEquals("done", ready.path("discovery").asText(), ready.toString());
        assertEquals(1, ready.path("backends.ready").asInt(), ready.toString());
        assertEquals(1, ready.path("backends.unhealthy").asInt(), ready.toString());
    }

    @Test
    void readinessDoesNotWaitLongerThanTheConfiguredBound(TestInfo test) {
        broker = start(test, Map.of("manifold.broker.connect-timeout", "120s",
                "manifold.broker.readiness-discovery-wait", "2s"));

        await("ready after the bound, the black hole still connecting").atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(100))
                .until(broker::isReady);
        JsonNode ready = data(broker.get("/q/health/ready"));
        assertEquals("done", ready.path("discovery").asText(), ready.toString());
        assertEquals(1, ready.path("backends.pending").asInt(), "the black hole's attempt is still running: " + ready);
        assertTrue(broker.client().listTools().toolNames().containsAll(alphaTools));
    }

    private BrokerProcess start(TestInfo test, Map<String, String> properties) {
        String name = test.getTestMethod().orElseThrow().getName();
        BrokerConfigFile config = new BrokerConfigFile(ItEnvironment.workDir("ReadinessIT").resolve(name + ".yaml"));
        config.writeInPlace(BrokerConfigFile.yaml("always", List.of(
                Server.of("alpha", alpha.url(), "alpha_"),
                Server.of("hole", "http://127.0.0.1:" + blackHole.getLocalPort() + "/mcp", "hole_"))));
        return BrokerProcess.startListening("broker-" + name, config.path(), properties, logs);
    }

    /** The data of the broker's readiness check, from a /q/health/ready answer (200 or 503). */
    private static JsonNode data(HttpResponse<String> response) {
        try {
            for (JsonNode check : JSON.readTree(response.body()).path("checks")) {
                if ("manifold-broker-config".equals(check.path("name").asText())) {
                    return check.path("data");
                }
            }
        } catch (IOException e) {
            throw new AssertionError("not a health answer: " + response.body(), e);
        }
        throw new AssertionError("no manifold-broker-config check in " + response.body());
    }
}
