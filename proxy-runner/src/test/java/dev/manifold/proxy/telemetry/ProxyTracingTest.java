package dev.manifold.proxy.telemetry;

import dev.manifold.contracts.Telemetry;
import dev.manifold.proxy.http.FakePods;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * Log lines written for a request carry its session id and server id in the MDC (the JSON log's {@code mdc}).
 * With tracing on, the proxy-runner continues the trace the broker started: the request's server span is a child
 * of the incoming {@code traceparent} and names the server and the pinned pod, and the pod receives a {@code
 * traceparent} of the same trace whose parent is the proxy-runner's CLIENT span, not the broker's.
 */
@QuarkusTest
@TestProfile(ProxyTracingTest.TracingOn.class)
@QuarkusTestResource(value = FakePods.class, restrictToAnnotatedClass = true)
class ProxyTracingTest {

    private static final String BROKER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String BROKER_SPAN = "00f067aa0ba902b7";
    private static final String INIT = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
            + "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}";

    public static class TracingOn implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.otel.sdk.disabled", "false",
                    "quarkus.otel.traces.exporter", "none",
                    "quarkus.log.category.\"dev.manifold.proxy\".level", "DEBUG");
        }
    }

    @BeforeEach
    void forget() {
        FakePods.SEEN.clear();
        InMemoryTraces.SPANS.reset();
    }

    private static Response post(String sid, String body) {
        var spec = given().contentType("application/json").accept("application/json, text/event-stream")
                .header("MCP-Protocol-Version", "2025-06-18")
                .header("traceparent", "00-" + BROKER_TRACE + "-" + BROKER_SPAN + "-01");
        if (sid != null) {
            spec = spec.header("Mcp-Session-Id", sid);
        }
        return spec.body(body).post("/demo/fake/mcp");
    }

    private static SpanData exported(String spanId) {
        return await().atMost(Duration.ofSeconds(10)).until(() -> InMemoryTraces.SPANS.getFinishedSpanItems().stream()
                .filter(s -> s.getSpanId().equals(spanId)).findFirst().orElse(null), s -> s != null);
    }

    private static void assertHopTraced(String bodyFragment, String expectedPod) {
        FakePods.Seen seen = FakePods.SEEN.stream().filter(s -> s.body().contains(bodyFragment)).findFirst().orElse(null);
        assertNotNull(seen, "the pod never got " + bodyFragment);
        assertNotNull(seen.traceparent(), "the pod got no traceparent");
        String[] parts = seen.traceparent().split("-");
        assertEquals(BROKER_TRACE, parts[1], "the pod's request is not in the broker's trace");
        assertNotEquals(BROKER_SPAN, parts[2], "the broker's traceparent was passed on unchanged; spans: " + InMemoryTraces.SPANS.getFinishedSpanItems());

        SpanData hop = exported(parts[2]);
        assertEquals(SpanKind.CLIENT, hop.getKind());
        SpanData request = exported(hop.getParentSpanId());
        assertEquals(SpanKind.SERVER, request.getKind());
        assertEquals(BROKER_SPAN, request.getParentSpanId(), "the server span does not continue the broker's span");
        assertEquals("demo/fake", request.getAttributes().get(AttributeKey.stringKey(Telemetry.ATTR_SERVER)));
        assertEquals(expectedPod, request.getAttributes().get(AttributeKey.stringKey(Telemetry.ATTR_POD)));
    }

    @Test
    void initializeAndFollowUpContinueTheBrokersTraceToThePinnedPod() {
        Response init = post(null, INIT);
        init.then().statusCode(200);
        String sid = init.header("Mcp-Session-Id");
        String pod = init.jsonPath().getString("result.pod");
        assertHopTraced("\"initialize\"", pod);

        post(sid, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"traced\"}}")
                .then().statusCode(200);
        assertHopTraced("\"traced\"", pod);
    }
    @Test
    void aRequestsLogLinesCarryItsSessionAndServer() {
        java.util.List<java.util.Map<String, String>> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler capture = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord record) {
                if (record instanceof org.jboss.logmanager.ExtLogRecord ext
                        && ext.getFormattedMessage().startsWith("Backend failed for demo/fake")) {
                    java.util.Map<String, String> mdc = new java.util.HashMap<>();
                    ext.getMdcCopy().forEach((k, v) -> mdc.put(k, String.valueOf(v)));
                    failures.add(mdc);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        org.jboss.logmanager.Logger logger = org.jboss.logmanager.Logger.getLogger("dev.manifold.proxy");
        logger.addHandler(capture);
        try {
            Response init = post(null, INIT);
            init.then().statusCode(200);
            String sid = init.header("Mcp-Session-Id");
            // the pod never answers "hang": the response timeout fails the request, which is logged
            Response hung = post(sid, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"hang\"}");
            assertEquals(true, hung.statusCode() >= 500, hung.asString());
            java.util.Map<String, String> mdc = await().atMost(Duration.ofSeconds(10))
                    .until(() -> failures.isEmpty() ? null : failures.get(0), m -> m != null);
            assertEquals(sid, mdc.get(Telemetry.MDC_SESSION_ID), mdc.toString());
            assertEquals("demo/fake", mdc.get(Telemetry.MDC_SERVER_ID), mdc.toString());
        } finally {
            logger.removeHandler(capture);
        }
    }
}
