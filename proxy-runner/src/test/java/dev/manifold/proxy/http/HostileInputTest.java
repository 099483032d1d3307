package dev.manifold.proxy.http;

import dev.manifold.runtime.testing.HostileInput;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * 10,000 generated hostile requests (runtime's HostileInput) against the proxy-runner in anonymous mode, standalone
 * with the memory store and the in-process pods: no 5xx, a JSON-RPC error on every 4xx it writes, bounded threads
 * and heap, a normal session served all along, ready afterwards. The OAuth-mode run is in OAuthModeTest.
 */
@QuarkusTest
@QuarkusTestResource(value = FakePods.class, restrictToAnnotatedClass = true)
class HostileInputTest {
    static final String PATH = "/demo/fake/mcp";
    static final String INIT = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
            + "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}";

    static String initialize(Map<String, String> auth) {
        Response init = given().headers(auth).contentType("application/json").accept("application/json, text/event-stream")
                .body(INIT).post(PATH);
        init.then().statusCode(200);
        return init.header("Mcp-Session-Id");
    }

    /** A ping in {@code sid}: null when the pod answered through the proxy-runner, else what came back. */
    static Supplier<String> pinging(Map<String, String> auth, String sid) {
        return () -> {
            Response r = given().headers(auth).contentType("application/json").accept("application/json, text/event-stream")
                    .header("Mcp-Session-Id", sid).header("MCP-Protocol-Version", "2025-06-18")
                    .body("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"ping\"}").post(PATH);
            return r.statusCode() == 200 && r.asString().contains("\"pod\"") ? null : r.statusCode() + " " + r.asString();
        };
    }

    static List<String> run(Map<String, String> auth, Supplier<String> live, Supplier<String> foreign, long seed)
            throws Exception {
        HostileInput.Target target = new HostileInput.Target("localhost", RestAssured.port, PATH, auth, live, foreign);
        String normal = initialize(auth);
        return HostileInput.check(target, 10_000, seed, pinging(auth, normal), () -> {
            Response ready = given().get("/q/health/ready");
            return ready.statusCode() == 200 ? null : ready.asString();
        });
    }

    @Test
    void tenThousandHostileRequestsGetNo5xxAndLeaveTheProxyRunnerServing() throws Exception {
        String live = initialize(Map.of());
        String gone = initialize(Map.of());
        given().header("Mcp-Session-Id", gone).delete(PATH).then().statusCode(200);
        FakePods.recording = false;
        try {
            assertEquals(List.of(), run(Map.of(), () -> live, () -> gone, 3L));
        } finally {
            FakePods.recording = true;
            FakePods.SEEN.clear();
            FakePods.HEADERS.clear();
        }
    }
}
