package dev.manifold.broker.telemetry;

import dev.manifold.contracts.JsonRpcErrors;
import dev.manifold.runtime.testing.FixtureMcpServer;
import dev.manifold.broker.testing.InMemoryTraces;
import dev.manifold.broker.testing.McpClient;
import dev.manifold.contracts.Telemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.vertx.core.Vertx;
import org.jboss.logmanager.ExtLogRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * With tracing on, one client request is one trace: the broker's server span, a CLIENT span per message it sends
 * to the backend, and the backend receives a W3C {@code traceparent} naming that CLIENT span. The spans carry the
 * MCP method, the tool and the server. Health probes and connects start no traces. Log lines written for a request
 * carry its session id and server id in the MDC (the fields the JSON log format writes).
 */
@QuarkusTest
@WithTestResource(TracingAndLogFieldsTest.SoloBackend.class)
@TestProfile(TracingAndLogFieldsTest.TracingOn.class)
class TracingAndLogFieldsTest {

    private static final AttributeKey<String> METHOD = AttributeKey.stringKey(Telemetry.ATTR_METHOD);
    private static final AttributeKey<String> TOOL = AttributeKey.stringKey(Telemetry.ATTR_TOOL);
    private static final AttributeKey<String> SERVER = AttributeKey.stringKey(Telemetry.ATTR_SERVER);

    public static class TracingOn implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "quarkus.otel.sdk.disabled", "false",
                    // spans go to InMemoryTraces only; no OTLP endpoint to export to here
                    "quarkus.otel.traces.exporter", "none",
                    "quarkus.log.category.\"dev.manifold.broker\".level", "DEBUG");
        }
    }

    /** One fixture MCP server, {@code solo} (prefix {@code solo_}), that this test can stop and start. */
    public static class SoloBackend implements QuarkusTestResourceLifecycleManager {
        static volatile FixtureMcpServer solo;
        private Vertx vertx;

        @Override
        public Map<String, String> start() {
            vertx = Vertx.vertx();
            solo = new FixtureMcpServer(vertx, "solo", List.of("echo"), false).start();
            try {
                Path file = Files.createTempFile("manifold-tracing-test", ".yaml");
                Files.writeString(file, """
                        servers:
                          - name: solo
                            url: %s
                            toolPrefix: solo_
                        """.formatted(solo.url()));
                return Map.of("manifold.broker.config-file", file.toString());
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void stop() {
            if (solo != null) {
                solo.close();
            }
            if (vertx != null) {
                vertx.close();
            }
        }
    }

    /** What was logged under dev.manifold.broker, with the MDC as it was when each line was written. */
    record Line(String level, String message, Map<String, String> mdc) {
    }

    private final List<Line> lines = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            Map<String, String> mdc = record instanceof ExtLogRecord ext ? Map.copyOf(ext.getMdcCopy().entrySet().stream()
                    .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, e -> String.valueOf(e.getValue()))))
                    : Map.of();
            String message = record instanceof ExtLogRecord ext ? ext.getFormattedMessage() : record.getMessage();
            lines.add(new Line(record.getLevel().getName(), message, mdc));
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void setUp() {
        SoloBackend.solo.start();
        org.jboss.logmanager.Logger.getLogger("dev.manifold.broker").addHandler(capture);
        await().atMost(Duration.ofSeconds(20)).until(() -> McpClient.initialize().toolNames().contains("solo_echo"));
        InMemoryTraces.SPANS.reset();
    }

    @AfterEach
    void tearDown() {
        org.jboss.logmanager.Logger.getLogger("dev.manifold.broker").removeHandler(capture);
        SoloBackend.solo.start();
    }

    private static String lastTraceparent(String tool) {
        return SoloBackend.solo.received("tools/call").stream()
                .filter(r -> tool.equals(r.message().path("params").path("name").asText()))
                .reduce((a, b) -> b).map(FixtureMcpServer.Received::traceparent).orElse(null);
    }

    @Test
    void aToolCallIsOneTraceFromTheClientRequestToTheBackend() {
        McpClient client = McpClient.initialize();
        Response response = client.call("solo_echo", "traced");
        response.then().statusCode(200).body("result.content[0].text", org.hamcrest.Matchers.containsString("traced"));

        String traceparent = lastTraceparent("echo");
        assertNotNull(traceparent, "the backend received no traceparent");
        String[] parts = traceparent.split("-");
        assertEquals(4, parts.length, traceparent);
        String traceId = parts[1];
        String parentSpanId = parts[2];

        // the CLIENT span the traceparent names was exported, in the same trace, with the MCP attributes
        SpanData hop = await().atMost(Duration.ofSeconds(10)).until(() -> InMemoryTraces.SPANS.getFinishedSpanItems()
                .stream().filter(s -> s.getSpanId().equals(parentSpanId)).findFirst().orElse(null), s -> s != null);
        assertEquals(traceId, hop.getTraceId());
        assertEquals(SpanKind.CLIENT, hop.getKind());
        assertEquals("tools/call echo", hop.getName());
        assertEquals("tools/call", hop.getAttributes().get(METHOD));
        assertEquals("echo", hop.getAttributes().get(TOOL));

        // its parent is the broker's server span of the client's POST, which names the server it was routed to
        SpanData request = await().atMost(Duration.ofSeconds(10)).until(() -> InMemoryTraces.SPANS.getFinishedSpanItems()
                .stream().filter(s -> s.getSpanId().equals(hop.getParentSpanId())).findFirst().orElse(null), s -> s != null);
        assertEquals(SpanKind.SERVER, request.getKind());
        assertEquals(traceId, request.getTraceId());
        assertEquals("tools/call", request.getAttributes().get(METHOD));
        assertEquals("solo_echo", request.getAttributes().get(TOOL));
        assertEquals("solo", request.getAttributes().get(SERVER));
    }

    @Test
    void aClientsTraceparentIsContinued() {
        McpClient client = McpClient.initialize();
        String clientTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
        Response response = given().contentType("application/json").accept("application/json, text/event-stream")
                .header("Mcp-Session-Id", client.sessionId())
                .header("traceparent", "00-" + clientTrace + "-00f067aa0ba902b7-01")
                .body("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"solo_echo\","
                        + "\"arguments\":{\"message\":\"continued\"}}}")
                .post("/mcp");
        response.then().statusCode(200);
        String traceparent = lastTraceparent("echo");
        assertNotNull(traceparent);
        assertEquals(clientTrace, traceparent.split("-")[1], "the backend's hop is not in the client's trace");
        assertTrue(!traceparent.contains("00f067aa0ba902b7"), "the broker forwarded the client's span instead of its own");
    }

    @Test
    void probesAndConnectsStartNoTraces() {
        // Stopping and starting the backend makes the broker probe, fail, reconnect and re-list it: all of that
        // is the broker's own work, and none of it may start a trace (an idle gateway exports nothing).
        int initializesBefore = SoloBackend.solo.requests("initialize");
        SoloBackend.solo.stop();
        await().atMost(Duration.ofSeconds(20)).until(() -> !McpClient.initialize().toolNames().contains("solo_echo"));
        SoloBackend.solo.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> McpClient.initialize().toolNames().contains("solo_echo"));
        assertTrue(SoloBackend.solo.requests("initialize") > initializesBefore, "the broker never reconnected");
        List<SpanData> spans = InMemoryTraces.SPANS.getFinishedSpanItems();
        List<SpanData> clientSpans = spans.stream().filter(s -> s.getKind() == SpanKind.CLIENT).toList();
        assertTrue(clientSpans.isEmpty(), "probes or connects were traced: " + clientSpans);
        assertTrue(SoloBackend.solo.received().stream().allMatch(r -> r.traceparent() == null
                        || !"initialize".equals(r.method()) || spans.stream().anyMatch(s -> r.traceparent().contains(s.getTraceId()))),
                "a connect carried a traceparent of no exported trace");
    }

    @Test
    void logLinesOfARequestCarryItsSessionAndServer() {
        McpClient client = McpClient.initialize();
        client.call("solo_echo", "before").then().statusCode(200);
        SoloBackend.solo.stop();
        Response failed = client.call("solo_echo", "after");
        failed.then().statusCode(200);
        assertEquals(JsonRpcErrors.BACKEND_UNAVAILABLE, failed.jsonPath().getInt("error.code"), failed.asString());

        // the request's own line: "tools/call on solo failed: ..." at DEBUG
        Line requestLine = await().atMost(Duration.ofSeconds(10)).until(() -> lines.stream()
                .filter(l -> l.message().startsWith("tools/call on solo failed")).findFirst().orElse(null), l -> l != null);
        assertEquals(client.sessionId(), requestLine.mdc().get(Telemetry.MDC_SESSION_ID), requestLine.toString());
        assertEquals("solo", requestLine.mdc().get(Telemetry.MDC_SERVER_ID), requestLine.toString());

        // the supervisor's line about the backend names the server and no session
        Line backendLine = await().atMost(Duration.ofSeconds(20)).until(() -> lines.stream()
                .filter(l -> l.message().startsWith("Backend solo unhealthy")).findFirst().orElse(null), l -> l != null);
        assertEquals("solo", backendLine.mdc().get(Telemetry.MDC_SERVER_ID), backendLine.toString());
        assertEquals(null, backendLine.mdc().get(Telemetry.MDC_SESSION_ID), backendLine.toString());

        // and no line outside a request keeps a session id from an earlier one
        assertTrue(lines.stream().filter(l -> l.message().startsWith("Backend "))
                .allMatch(l -> l.mdc().get(Telemetry.MDC_SESSION_ID) == null), lines.toString());
    }
}
