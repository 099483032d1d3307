package dev.manifold.proxy.http;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Finding 8 of the abuse probe: a pod that dies while streaming its answer to a call. The client's stream ends with a
 * JSON-RPC error for its request (-32010, as the broker answers in the same case), not cut off without an answer.
 */
@QuarkusTest
@QuarkusTestResource(value = FakePods.class, restrictToAnnotatedClass = true)
class PodDiesMidCallTest {
    private static final String INIT = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
            + "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}";

    private static double cutStreams() {
        return given().get("/q/metrics").asString().lines().filter(l -> l.startsWith("manifold_proxy_cut_streams_total"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    @Test
    void theClientGetsAJsonRpcErrorForItsCallWhenThePodDiesMidStream() {
        Response init = FakePods.post(null, INIT);
        init.then().statusCode(200);
        String sid = init.header("Mcp-Session-Id");
        double before = cutStreams();

        Response cut = FakePods.post(sid, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"die\"}");
        assertEquals(200, cut.statusCode());
        List<String> data = cut.asString().lines().filter(l -> l.startsWith("data: ")).toList();
        String last = data.get(data.size() - 1);
        assertTrue(last.contains("\"id\":7") && last.contains("\"code\":-32010"), cut.asString());
        assertTrue(last.contains("closed the stream before answering"), last);
        assertEquals(before + 1, cutStreams());

        // the session goes on: the next call is answered
        Response plain = FakePods.post(sid, "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"tools/call\",\"params\":{\"name\":\"x\"}}");
        assertEquals(200, plain.statusCode(), "the session goes on on a healthy pod: " + plain.asString());
    }
}
