package dev.manifold.proxy.http;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GET streams (finding 2 of the abuse probe): they have their own pool, so streams a client opens and never reads do
 * not take the connections requests need; and a session may hold at most max-streams-per-session of them, the next
 * one getting 429 with JSON-RPC -32013 until one closes.
 */
@QuarkusTest
@TestProfile(StreamLimitsTest.SmallPools.class)
@QuarkusTestResource(value = FakePods.class, restrictToAnnotatedClass = true)
class StreamLimitsTest {

    public static class SmallPools implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.vertx.event-loops-pool-size", "1",
                    "manifold.proxy.max-connections-per-pod", "1",
                    "manifold.proxy.max-streams-per-pod", "16",
                    "manifold.proxy.max-streams-per-session", "2",
                    "manifold.proxy.connect-timeout", "200ms",
                    "manifold.proxy.pool-wait-timeout", "1200ms");
        }
    }

    private static final String INIT = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
            + "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}";
    private final List<Socket> sockets = new ArrayList<>();

    @AfterEach
    void release() throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
        FakePods.releaseHeld();
    }

    /** Opens a GET stream on a raw socket and returns its status line and headers; the socket stays open. */
    private String openStream(String sid) {
        try {
            Socket socket = new Socket("127.0.0.1", RestAssured.port);
            sockets.add(socket);
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("GET /demo/fake/mcp HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n"
                    + "MCP-Protocol-Version: 2025-06-18\r\nMcp-Session-Id: " + sid + "\r\nX-Test-Hold: 1\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.US_ASCII).contains("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    break;
                }
                head.write(b);
            }
            String text = head.toString(StandardCharsets.US_ASCII);
            if (text.startsWith("HTTP/1.1 429")) {
                byte[] body = new byte[4096];
                int n = in.read(body);
                text += new String(body, 0, Math.max(0, n), StandardCharsets.UTF_8);
            }
            return text;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String session() {
        Response init = FakePods.post(null, INIT);
        init.then().statusCode(200);
        return init.header("Mcp-Session-Id");
    }

    @Test
    void streamsNeverTakeTheRequestPoolAndASessionHoldsAtMostItsLimit() throws IOException {
        String a = session();
        String b = session();
        for (String sid : List.of(a, a, b, b)) {
            String head = openStream(sid);
            assertTrue(head.startsWith("HTTP/1.1 200"), head);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> FakePods.HELD.size() == 4);

        // Four open streams, one pooled connection per pod for requests: requests are still served at once.
        for (String sid : List.of(a, b)) {
            Response call = FakePods.post(sid, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":\"x\"}}");
            assertEquals(200, call.statusCode(), call.asString());
        }

        String third = openStream(a);
        assertTrue(third.startsWith("HTTP/1.1 429"), third);
        assertTrue(third.contains("\"code\":-32013") && third.contains("max-streams-per-session"), third);
        assertEquals(4, FakePods.HELD.size(), "the refused stream never reached a pod");

        sockets.get(0).close(); // one of a's streams ends: there is room again
        await().atMost(Duration.ofSeconds(10)).until(() -> openStream(a).startsWith("HTTP/1.1 200"));
    }
}
