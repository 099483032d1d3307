package dev.manifold.proxy.http;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Standalone mode with the memory store, against two in-process pods that report what they received: the pod's
 * own session id is hidden behind ours, follow-ups and DELETE reach the pinned pod with the pod's id, and
 * stateless 2026-07-28 requests go to any pod without creating a session.
 */
@QuarkusTest
@QuarkusTestResource(value = FakePods.class, restrictToAnnotatedClass = true)
class StandaloneMemoryStoreTest {

    private static final String INIT = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
            + "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}";

    @BeforeEach
    void forget() {
        FakePods.SEEN.clear();
    }

    private static Response post(String sid, String protocol, String body) {
        return post("/demo/fake/mcp", sid, protocol, body);
    }

    private static Response post(String path, String sid, String protocol, String body) {
        var spec = given().contentType("application/json").accept("application/json, text/event-stream");
        if (sid != null) {
            spec = spec.header("Mcp-Session-Id", sid);
        }
        if (protocol != null) {
            spec = spec.header("MCP-Protocol-Version", protocol);
        }
        return spec.body(body).post(path);
    }

    @Test
    void followUpsAndDeleteReachThePinnedPodWithItsOwnSessionId() {
        Response init = post(null, null, INIT);
        init.then().statusCode(200);
        String sid = init.header("Mcp-Session-Id");
        assertTrue(sid.matches("[A-Za-z0-9_-]{32}"), sid);
        FakePods.Seen initialized = FakePods.SEEN.poll();
        String pod = initialized.pod();

        for (int i = 0; i < 5; i++) {
            post(sid, "2025-06-18", "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}").then().statusCode(200)
                    .body("result.pod", equalTo(pod));
        }
        List<FakePods.Seen> followUps = List.copyOf(FakePods.SEEN);
        assertEquals(5, followUps.size());
        for (FakePods.Seen seen : followUps) {
            assertEquals(pod, seen.pod());
            assertTrue(seen.sessionId().startsWith(pod + "-"), "the pod must see its own session id: " + seen);
            assertNotEquals(sid, seen.sessionId());
        }

        FakePods.SEEN.clear();
        given().header("Mcp-Session-Id", sid).delete("/demo/fake/mcp").then().statusCode(200);
        FakePods.Seen deleted = FakePods.SEEN.poll();
        assertEquals("DELETE", deleted.method());
        assertEquals(pod, deleted.pod());
        post(sid, "2025-06-18", "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\"}").then().statusCode(404)
                .body("error.code", equalTo(-32001)).body("id", equalTo(3));
    }

    /**
     * The pod closes a pooled keep-alive connection just as the proxy sends the next request on it (FIN, or RST):
     * the request is sent again once, on a new connection to the same pod, and the session stays where it is (no
     * second initialize, no re-initialization). More follow-ups than event loops, so pooled connections are reused.
     */
    @ParameterizedTest
    @ValueSource(strings = {"closing", "resetting"})
    void aPooledConnectionClosedByThePodIsRetriedOnceOnTheSamePod(String server) {
        String path = "/demo/" + server + "/mcp";
        String pod = server + "-0";
        Response init = post(path, null, null, INIT);
        init.then().statusCode(200);
        String sid = init.header("Mcp-Session-Id");
        String podSession = FakePods.SEEN.poll().sessionId();
        assertNull(podSession, "the initialize carries no session id");
        for (int i = 0; i < 3 * Runtime.getRuntime().availableProcessors() + 2; i++) {
            post(path, sid, "2025-06-18", "{\"jsonrpc\":\"2.0\",\"id\":" + i + ",\"method\":\"ping\"}")
                    .then().statusCode(200).body("result.pod", equalTo(pod));
        }
        List<FakePods.Seen> followUps = List.copyOf(FakePods.SEEN);
        assertTrue(followUps.stream().allMatch(s -> s.pod().equals(pod) && s.sessionId() != null
                && s.sessionId().startsWith(pod + "-") && !s.body().contains("initialize")), followUps.toString());
        assertEquals(1, followUps.stream().map(FakePods.Seen::sessionId).distinct().count(),
                "every follow-up reached the pod's one backend session: " + followUps);
        String metrics = given().get("/q/metrics").asString();
        assertFalse(metrics.lines().anyMatch(line -> line.startsWith("manifold_proxy_reinitializations_total{")
                && line.contains("server=\"demo/" + server + "\"")), metrics);
    }

    /**
     * What crosses the proxy-runner: the caller's credentials never reach the pod, X-Forwarded-For gets the
     * caller's address appended, and the pod's banner and CORS answers never reach the caller.
     */
    @Test
    void credentialsStayBehindForwardedForIsAppendedAndThePodsBannerAndCorsDoNotComeBack() {
        FakePods.HEADERS.clear();
        Response init = given().contentType("application/json").accept("application/json, text/event-stream")
                .header("Authorization", "Bearer client-token-for-the-gateway")
                .header("Cookie", "session=secret").header("X-Api-Key", "k-123")
                .header("X-Forwarded-For", "203.0.113.7").header("X-Custom", "kept")
                .body(INIT).post("/demo/fake/mcp");
        init.then().statusCode(200);
        io.vertx.core.MultiMap atPod = FakePods.HEADERS.poll();
        assertNull(atPod.get("Authorization"), atPod.toString());
        assertNull(atPod.get("Cookie"), atPod.toString());
        assertNull(atPod.get("X-Api-Key"), atPod.toString());
        assertEquals("203.0.113.7, 127.0.0.1", atPod.get("X-Forwarded-For"));
        assertEquals("kept", atPod.get("X-Custom"));
        assertNull(init.header("X-Powered-By"));
        assertNull(init.header("Server"));
        assertNull(init.header("Access-Control-Allow-Origin"));
        assertEquals("application/json", init.header("Content-Type"));
    }

    /** DNS rebinding: standalone, only loopback Hosts and Origins; a refused request never reaches a pod. */
    @Test
    void aForeignOriginOrHostIs403BeforeAnythingReachesAPod() {
        FakePods.SEEN.clear();
        given().contentType("application/json").header("Origin", "https://evil.example").body(INIT)
                .post("/demo/fake/mcp").then().statusCode(403).body("error.code", equalTo(-32600));
        given().contentType("application/json").header("Host", "rebound.evil.example").body(INIT)
                .post("/demo/fake/mcp").then().statusCode(403).body("error.code", equalTo(-32600));
        assertEquals(0, FakePods.SEEN.size(), FakePods.SEEN.toString());
        given().contentType("application/json").accept("application/json, text/event-stream")
                .header("Origin", "http://localhost:6274").body(INIT).post("/demo/fake/mcp").then().statusCode(200);
    }

    /** An initialize nested deeper than max-json-depth (1000, Jackson's) is a 400 parse error, before any pod. */
    @Test
    void anInitializeNestedDeeperThanMaxJsonDepthIs400AndReachesNoPod() {
        FakePods.SEEN.clear();
        String deep = INIT.replace("\"capabilities\":{}", "\"capabilities\":{\"x\":" + "[".repeat(1000) + "]".repeat(1000) + "}");
        post(null, null, deep).then().statusCode(400).body("error.code", equalTo(-32700))
                .body("error.message", org.hamcrest.Matchers.containsString("deeper than 1000 levels (max-json-depth)"));
        assertEquals(0, FakePods.SEEN.size(), FakePods.SEEN.toString());
    }

    /** The initialize body is stored with the session: beyond max-initialize-size (64K) it gets 413 and no session. */
    @Test
    void anInitializeLargerThanTheStoredLimitIs413AndOpensNoSession() {
        FakePods.SEEN.clear();
        String padded = INIT.replace("\"name\":\"t\"", "\"name\":\"" + "x".repeat(70 * 1024) + "\"");
        Response refused = post(null, null, padded);
        refused.then().statusCode(413).body("error.code", equalTo(-32600)).body("id", equalTo(1));
        assertNull(refused.header("Mcp-Session-Id"));
        assertEquals(0, FakePods.SEEN.size(), "no pod saw it");
        String fits = INIT.replace("\"name\":\"t\"", "\"name\":\"" + "x".repeat(60 * 1024) + "\"");
        post(null, null, fits).then().statusCode(200);
    }

    @Test
    void statelessRequestsGoToAnyPodWithoutASession() {
        for (int i = 0; i < 40; i++) {
            Response r = post(null, "2026-07-28", "{\"jsonrpc\":\"2.0\",\"id\":" + i + ",\"method\":\"tools/list\"}");
            r.then().statusCode(200);
            assertNull(r.header("Mcp-Session-Id"));
        }
        Set<String> pods = FakePods.SEEN.stream().map(FakePods.Seen::pod).collect(Collectors.toSet());
        assertEquals(Set.of("fake-0", "fake-1"), pods, "stateless requests should use every ready pod");
        assertTrue(FakePods.SEEN.stream().allMatch(s -> s.sessionId() == null && "2026-07-28".equals(s.protocol())));
    }

    @Test
    void pathsThatAreNoRoutedMcpEndpointGet404() {
        // An encoded slash ends up in the server id: a path of the right shape, but no such route (JSON-RPC 404).
        given().urlEncodingEnabled(false).contentType("application/json").body("{}").post("/demo%2Fx/fake/mcp")
                .then().statusCode(404).body("error.code", equalTo(-32600));
        // An encoded unreserved character is normalized away, as vertx-web does: the route is found.
        given().urlEncodingEnabled(false).contentType("application/json").body("x").post("/d%65mo/fake/mcp")
                .then().statusCode(400).body("error.code", equalTo(-32700));
        // Missing parts or extra segments: not an MCP endpoint at all, answered with a JSON-RPC 404 as well.
        for (String path : List.of("/demo/mcp", "/demo/fake/mcp/x", "/x/demo/fake/mcp", "/demo//mcp")) {
            given().contentType("application/json").body("{}").post(path).then().statusCode(404)
                    .body("error.code", equalTo(-32600));
        }
    }

    @Test
    void metricsAndReadinessUseTheDocumentedNames() {
        post(null, null, INIT).then().statusCode(200);
        given().get("/q/health/ready").then().statusCode(200)
                .body("checks.find { it.name == 'session-store' }.data.store", equalTo("memory"));
        // The Kubernetes probe's group: routes and heap, not the session store (Redis is not a reason to leave the
        // Service); the heap check says how full the heap was after the last collection.
        given().get("/q/health/group/serving").then().statusCode(200)
                .body("checks.name", org.hamcrest.Matchers.containsInAnyOrder("routes", "heap"))
                .body("checks.find { it.name == 'heap' }.data.usedAfterGcPercent", org.hamcrest.Matchers.notNullValue());
        String metrics = given().get("/q/metrics").asString();
        assertTrue(metrics.contains("manifold_proxy_requests_total{outcome=\"forwarded\",server=\"demo/fake\"}"), metrics);
        assertTrue(metrics.contains("manifold_proxy_sessions_active{server=\"demo/fake\"}"), metrics);
        assertTrue(metrics.contains("manifold_proxy_request_seconds_count"), metrics);
    }

    @Test
    void aPodThatNeverSendsHeadersGets502AfterTheResponseTimeout() {
        String sid = post(null, null, INIT).header("Mcp-Session-Id");
        long start = System.nanoTime();
        post(sid, "2025-06-18", "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"hang\"}").then().statusCode(502)
                .body("id", equalTo(7)).body("error.code", equalTo(-32000));
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertTrue(tookMs >= FakePods.RESPONSE_TIMEOUT_MS, "gave up after " + tookMs + " ms");
        assertTrue(tookMs < 10 * FakePods.RESPONSE_TIMEOUT_MS, "gave up only after " + tookMs + " ms");
    }

    @Test
    void largeAndChunkedAnswersArriveWhole() {
        String sid = post(null, null, INIT).header("Mcp-Session-Id");
        String pod = FakePods.SEEN.poll().pod();
        Response big = post(sid, "2025-06-18", "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"big\"}");
        big.then().statusCode(200);
        String expected = FakePods.bigResult(pod);
        assertEquals(String.valueOf(expected.length()), big.header("Content-Length"));
        assertEquals(expected, big.asString());
        Response chunks = post(sid, "2025-06-18", "{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"chunks\"}");
        chunks.then().statusCode(200).body("result.pod", equalTo(pod));
        assertNull(chunks.header("Content-Length"));
    }

    @Test
    void aStreamMayStayQuietLongerThanTheResponseTimeout() {
        String sid = post(null, null, INIT).header("Mcp-Session-Id");
        Response stream = post(sid, "2025-06-18", "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"quiet-stream\"}");
        stream.then().statusCode(200).contentType(org.hamcrest.Matchers.startsWith("text/event-stream"));
        assertTrue(stream.asString().contains("\"result\""), stream.asString());
    }

    @Test
    void aDeleteWhosePodAnswerStallsIsAnsweredAfterTheResponseTimeoutAndTheSessionIsGone() throws Exception {
        Response init = post(null, null, INIT);
        String sid = init.header("Mcp-Session-Id");
        java.net.http.HttpResponse<String> deleted = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(io.restassured.RestAssured.baseURI + ":"
                                + io.restassured.RestAssured.port + "/demo/fake/mcp"))
                        .header("Mcp-Session-Id", sid).header("X-Test-Stall", "body")
                        .timeout(java.time.Duration.ofSeconds(10)).DELETE().build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(200, deleted.statusCode(), deleted.body());
        post(sid, "2025-06-18", "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\"}").then().statusCode(404);
    }

    /**
     * HTTP/2 (h2c): a connection may carry many clients' streams (an ingress multiplexes them), so refusing one
     * oversized request resets that stream only; another session's open stream on the same connection goes on.
     */
    @Test
    void overHttp2AnOversizedRequestIsRefusedWithoutEndingOtherStreamsOfItsConnection() throws Exception {
        String sid = post(null, null, INIT).header("Mcp-Session-Id");
        io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
        try {
            io.vertx.core.http.HttpClient h2 = vertx.createHttpClient(new io.vertx.core.http.HttpClientOptions()
                    .setProtocolVersion(io.vertx.core.http.HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false)
                    .setDefaultHost("localhost").setDefaultPort(io.restassured.RestAssured.port)
                    .setHttp2MaxPoolSize(1).setHttp2MultiplexingLimit(10));
            io.vertx.core.Future<String> held = h2.request(io.vertx.core.http.HttpMethod.POST, "/demo/fake/mcp")
                    .compose(req -> req.putHeader("Content-Type", "application/json")
                            .putHeader("Accept", "application/json, text/event-stream")
                            .putHeader("Mcp-Session-Id", sid).putHeader("MCP-Protocol-Version", "2025-06-18")
                            .send("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"hold\"}"))
                    .compose(resp -> resp.body().map(body -> resp.version() + " " + resp.statusCode() + " " + body));
            org.awaitility.Awaitility.await("the held stream is open").atMost(java.time.Duration.ofSeconds(10))
                    .until(() -> FakePods.SEEN.stream().anyMatch(x -> x.body().contains("\"hold\"")));

            String refused = h2.request(io.vertx.core.http.HttpMethod.POST, "/demo/fake/mcp")
                    .compose(req -> req.putHeader("Content-Type", "application/json")
                            .send(io.vertx.core.buffer.Buffer.buffer(new byte[5 * 1024 * 1024])))
                    .compose(resp -> resp.body().map(body -> resp.version() + " " + resp.statusCode() + " " + body))
                    .toCompletionStage().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
            assertTrue(refused.startsWith("HTTP_2 413 "), refused);
            assertTrue(refused.contains("exceeds the limit"), refused);

            FakePods.releaseHeld();
            String answer = held.toCompletionStage().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
            assertTrue(answer.startsWith("HTTP_2 200 ") && answer.contains("released"), answer);
        } finally {
            FakePods.releaseHeld();
            vertx.close();
        }
    }
}
