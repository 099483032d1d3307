package dev.manifold.broker.testing;

import dev.manifold.runtime.SseParser;
import io.restassured.response.Response;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;

/** A minimal MCP client over rest-assured for tests against the broker's /mcp. */
public final class McpClient {
    private final String sessionId;
    private final String authorization;

    private McpClient(String sessionId, String authorization) {
        this.sessionId = sessionId;
        this.authorization = authorization;
    }

    /** Initializes a session and sends notifications/initialized. */
    public static McpClient initialize() {
        return initialize(null);
    }

    /** Initializes a session whose every request carries {@code authorization} (none when null). */
    public static McpClient initialize(String authorization) {
        Response response = spec(authorization)
                .body("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
                        + "\"capabilities\":{},\"clientInfo\":{\"name\":\"test\",\"version\":\"1\"}}}")
                .post("/mcp");
        response.then().statusCode(200);
        String sid = response.header("Mcp-Session-Id");
        if (sid == null) {
            throw new AssertionError("initialize returned no Mcp-Session-Id");
        }
        McpClient client = new McpClient(sid, authorization);
        client.post("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}").then().statusCode(202);
        return client;
    }

    public String sessionId() {
        return sessionId;
    }

    /**
     * Posts one message. An SSE answer is turned into a JSON response holding its last event (the JSON-RPC
     * response ends the stream); the events before it are kept in {@link #lastEvents()}.
     */
    public Response post(String body) {
        Response response = spec(authorization).header("Mcp-Session-Id", sessionId).body(body).post("/mcp");
        return unwrap(response);
    }

    private static io.restassured.specification.RequestSpecification spec(String authorization) {
        io.restassured.specification.RequestSpecification spec = given().contentType("application/json")
                .accept("application/json, text/event-stream");
        return authorization == null ? spec : spec.header("Authorization", authorization);
    }

    private final List<String> lastEvents = new ArrayList<>();

    /** The data of every event of the last SSE answer, in order. */
    public List<String> lastEvents() {
        return List.copyOf(lastEvents);
    }

    private Response unwrap(Response response) {
        String type = response.getContentType();
        lastEvents.clear();
        if (type == null || !type.startsWith("text/event-stream")) {
            return response;
        }
        lastEvents.addAll(SseParser.messages(response.asString()));
        if (lastEvents.isEmpty()) {
            throw new AssertionError("SSE answer without any message: " + response.asString());
        }
        return new io.restassured.builder.ResponseBuilder().clone(response)
                .setContentType("application/json")
                .setBody(lastEvents.get(lastEvents.size() - 1))
                .build();
    }

    /** All tool names, following nextCursor. */
    public List<String> toolNames() {
        List<String> names = new ArrayList<>();
        String cursor = null;
        for (int page = 0; page < 100; page++) {
            String params = cursor == null ? "{}" : "{\"cursor\":\"" + cursor + "\"}";
            Response response = post("{\"jsonrpc\":\"2.0\",\"id\":\"l" + page + "\",\"method\":\"tools/list\",\"params\":" + params + "}");
            response.then().statusCode(200);
            List<String> pageNames = response.jsonPath().getList("result.tools.name");
            names.addAll(pageNames);
            cursor = response.jsonPath().getString("result.nextCursor");
            if (cursor == null) {
                return names;
            }
        }
        throw new AssertionError("tools/list never ended");
    }

    /** Calls a tool and returns the whole JSON-RPC response. */
    public Response call(String tool, String message) {
        return post("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool
                + "\",\"arguments\":{\"message\":\"" + message + "\"},\"_meta\":{\"progressToken\":\"t1\"}}}");
    }

    public Map<String, Object> result(Response response) {
        return response.jsonPath().getMap("result");
    }
}
