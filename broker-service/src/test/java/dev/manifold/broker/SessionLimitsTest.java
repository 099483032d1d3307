package dev.manifold.broker;

import dev.manifold.broker.testing.LimitedBackends;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Per-session limits: a session with max-in-flight-per-session requests open gets 429 and JSON-RPC -32013 for one
 * more, which reaches no backend, and is served again once one ends; a backend's server-to-client request beyond
 * max-pending-server-requests is refused to that backend and never reaches the client.
 */
@QuarkusTest
@WithTestResource(LimitedBackends.class)
class SessionLimitsTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TestHTTPResource("/mcp")
    URI mcp;

    private static String session() {
        Response init = given().contentType("application/json").accept("application/json, text/event-stream")
                .body("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
                        + "\"capabilities\":{\"sampling\":{}},\"clientInfo\":{\"name\":\"limits\",\"version\":\"1\"}}}")
                .post("/mcp");
        init.then().statusCode(200);
        String sid = init.header("Mcp-Session-Id");
        post(sid, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}").then().statusCode(202);
        return sid;
    }

    private static String call(int id, String tool) {
        return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool
                + "\",\"arguments\":{\"message\":\"m" + id + "\"}}}";
    }

    private static Response post(String sid, String body) {
        return given().contentType("application/json").accept("application/json, text/event-stream")
                .header("Mcp-Session-Id", sid).body(body).post("/mcp");
    }

    /** A call whose answer the test does not wait for here (it stays open until the backend answers). */
    private CompletableFuture<HttpResponse<String>> postAsync(String sid, String body) {
        return HTTP.sendAsync(HttpRequest.newBuilder(mcp).header("Content-Type", "application/json")
                .header("Accept", "application/json, text/event-stream").header("Mcp-Session-Id", sid)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static double metric(String name) {
        return given().get("/q/metrics").asString().lines().filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    @Test
    void aSessionWithItsRequestsInFlightGets429UntilOneIsAnswered() {
        await().atMost(Duration.ofSeconds(20)).until(() -> LimitedBackends.alpha.requests("tools/list") > 0
                && LimitedBackends.beta.requests("tools/list") > 0);
        String sid = session();
        String other = session();
        List<CompletableFuture<HttpResponse<String>>> open = List.of(postAsync(sid, call(2, "alpha_slow")),
                postAsync(sid, call(3, "beta_slow")));
        await().atMost(Duration.ofSeconds(20)).until(() -> LimitedBackends.alpha.slowPending() + LimitedBackends.beta.slowPending() == 2);
        int echoes = LimitedBackends.alpha.requests("tools/call");

        Response refused = post(sid, call(4, "alpha_echo"));
        assertEquals(429, refused.statusCode(), refused.asString());
        assertEquals(-32013, refused.jsonPath().getInt("error.code"));
        assertEquals(4, refused.jsonPath().getInt("id"));
        assertTrue(refused.jsonPath().getString("error.message").contains("max-in-flight-per-session"));
        assertEquals(echoes, LimitedBackends.alpha.requests("tools/call"), "the refused call reached no backend");
        assertEquals(200, post(other, call(5, "alpha_echo")).statusCode(), "another session is not limited");

        LimitedBackends.alpha.releaseSlow();
        LimitedBackends.beta.releaseSlow();
        open.forEach(f -> assertEquals(200, f.orTimeout(20, java.util.concurrent.TimeUnit.SECONDS).join().statusCode()));
        Response again = post(sid, call(6, "alpha_echo"));
        assertEquals(200, again.statusCode());
        assertTrue(again.asString().contains("m6"), again.asString());
    }

    @Test
    void aServerRequestBeyondTheSessionsLimitIsRefusedToItsBackend() {
        await().atMost(Duration.ofSeconds(20)).until(() -> LimitedBackends.alpha.requests("tools/list") > 0
                && LimitedBackends.beta.requests("tools/list") > 0);
        String sid = session();
        double relayed = metric("manifold_broker_server_requests_total");
        CompletableFuture<HttpResponse<String>> waiting = postAsync(sid, call(2, "alpha_ask"));
        await().atMost(Duration.ofSeconds(20)).until(() -> metric("manifold_broker_server_requests_total") == relayed + 1);

        Response second = post(sid, call(3, "beta_ask"));
        assertEquals(200, second.statusCode());
        String body = second.asString();
        assertTrue(body.contains("error: The client already has 1 server requests waiting (max-pending-server-requests)"), body);
        assertTrue(!body.contains("sampling/createMessage"), "the refused request never reached the client: " + body);
        assertEquals(relayed + 1, metric("manifold_broker_server_requests_total"));
        assertTrue(metric("manifold_broker_server_requests_refused_total") >= 1);
        waiting.cancel(true);
    }
}
