package dev.manifold.proxy.http;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A pod whose every pooled connection is held by an open stream: a further request waits at most the pool wait,
 * then gets 503 with Retry-After (the pod is busy, not lost: no re-initialization), and is never sent to the pod
 * later. Once the stream ends, the session goes on as before.
 */
@QuarkusTest
@TestProfile(PodBusyTest.OneConnectionPerPod.class)
@QuarkusTestResource(value = FakePods.class, restrictToAnnotatedClass = true)
class PodBusyTest {

    public static class OneConnectionPerPod implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.vertx.event-loops-pool-size", "1",
                    "manifold.proxy.max-connections-per-pod", "1",
                    "manifold.proxy.connect-timeout", "200ms",
                    "manifold.proxy.pool-wait-timeout", "1200ms");
        }
    }

    private static final String INIT = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
            + "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}";

    @AfterEach
    void release() {
        FakePods.releaseHeld();
    }

    @Test
    void aRequestToAPodWithEveryConnectionBusyGets503AfterThePoolWaitAndIsNeverSent() {
        Response init = FakePods.post(null, INIT);
        init.then().statusCode(200);
        String sid = init.header("Mcp-Session-Id");
        String pod = init.jsonPath().getString("result.pod");
        FakePods.SEEN.clear();

        CompletableFuture<Response> held = CompletableFuture.supplyAsync(
                () -> FakePods.post(sid, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"hold\"}"));
        await("the stream holds the pod's only connection").atMost(Duration.ofSeconds(10))
                .until(() -> FakePods.SEEN.stream().anyMatch(s -> s.body().contains("\"hold\"")));

        long start = System.nanoTime();
        Response busy = FakePods.post(sid, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"waiting\"}}");
        long waitedMs = (System.nanoTime() - start) / 1_000_000;
        assertEquals(503, busy.statusCode(), busy.asString());
        assertEquals("1", busy.header("Retry-After"));
        assertEquals(3, busy.jsonPath().getInt("id"), busy.asString());
        assertTrue(busy.jsonPath().getString("error.message").contains("busy"), busy.asString());
        assertTrue(waitedMs >= 1000, "answered only after the pool wait, not at once: " + waitedMs + " ms");

        FakePods.releaseHeld();
        assertEquals(200, held.join().statusCode());
        Response after = FakePods.post(sid, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":{\"name\":\"after\"}}");
        assertEquals(200, after.statusCode(), after.asString());
        assertEquals(pod, after.jsonPath().getString("result.pod"), "the session stayed on its pod");
        assertTrue(FakePods.SEEN.stream().noneMatch(s -> s.body().contains("\"waiting\"")),
                "the request answered 503 never reached the pod: " + FakePods.SEEN);

        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertTrue(metrics.contains("manifold_proxy_requests_total{outcome=\"pod_busy\",server=\"demo/fake\"} 1.0"), metrics);
        assertTrue(!metrics.contains("manifold_proxy_reinitializations_total{") || metrics.lines()
                .filter(l -> l.startsWith("manifold_proxy_reinitializations_total{"))
                .allMatch(l -> l.endsWith(" 0.0")), "busy is not pod loss");
    }
}
