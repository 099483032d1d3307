package dev.manifold.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.IntNode;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonRpcMessageTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode json(String text) throws Exception {
        return JSON.readTree(text);
    }

    private static JsonRpcMessage of(String text) throws Exception {
        return JsonRpcMessage.of(json(text)).orElse(null);
    }

    @Test
    void eachKindIsDecidedByOneRule() throws Exception {
        JsonRpcMessage request = of("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\"}}");
        assertInstanceOf(JsonRpcMessage.Request.class, request);
        assertEquals("tools/call", request.method());
        assertEquals(IntNode.valueOf(7), request.id());
        assertEquals("echo", ((JsonRpcMessage.Request) request).params().path("name").asText());

        JsonRpcMessage notification = of("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
        assertInstanceOf(JsonRpcMessage.Notification.class, notification);
        assertNull(notification.id());

        JsonRpcMessage response = of("{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"result\":{\"tools\":[]}}");
        assertInstanceOf(JsonRpcMessage.Response.class, response);
        assertNull(response.method());

        JsonRpcMessage error = of("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,\"message\":\"Parse error\"}}");
        assertInstanceOf(JsonRpcMessage.ErrorResponse.class, error);
        assertEquals(-32700, ((JsonRpcMessage.ErrorResponse) error).code());
        assertEquals("Parse error", ((JsonRpcMessage.ErrorResponse) error).message());
    }

    @Test
    void whatIsNotAJsonRpcMessageIsSaidSo() throws Exception {
        assertNull(of("[1,2]"), "a batch is not one message");
        assertNull(of("\"text\""));
        assertNull(of("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":5}"), "a method must be a string");
        assertNull(of("{\"jsonrpc\":\"2.0\",\"id\":1}"), "an id alone is neither a request nor an answer");
        assertFalse(JsonRpcMessage.of(null).isPresent());
    }

    @Test
    void theRawMessageIsKeptUntouchedForPassThrough() throws Exception {
        JsonNode node = json("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"big\":12345678901234567890,\"x\":[1.50]}}");
        JsonRpcMessage message = JsonRpcMessage.of(node).orElseThrow();
        assertSame(node, message.raw());
        assertEquals(node.get("result"), ((JsonRpcMessage.Response) message).result());
    }

    @Test
    void anAnswerIsMatchedToItsRequestById() throws Exception {
        assertTrue(JsonRpcMessage.answers(json("{\"id\":3,\"result\":{}}"), IntNode.valueOf(3)));
        assertTrue(JsonRpcMessage.answers(json("{\"id\":3,\"error\":{\"code\":1}}"), IntNode.valueOf(3)));
        assertFalse(JsonRpcMessage.answers(json("{\"id\":4,\"result\":{}}"), IntNode.valueOf(3)));
        assertFalse(JsonRpcMessage.answers(json("{\"id\":3,\"method\":\"ping\"}"), IntNode.valueOf(3)),
                "a server request that reuses the id is not the answer");
        assertFalse(JsonRpcMessage.answers(json("{\"result\":{}}"), IntNode.valueOf(3)));
        assertTrue(JsonRpcMessage.isAnswer(json("{\"error\":{\"code\":-32600}}")), "an error without an id is an answer");
    }

    @Test
    void idsBecomePlainValuesForOtherWriters() throws Exception {
        assertEquals("abc", JsonRpcMessage.plainId(json("\"abc\"")));
        assertEquals(42L, JsonRpcMessage.plainId(json("42")));
        assertEquals(new BigInteger("123456789012345678901234567890"), JsonRpcMessage.plainId(json("123456789012345678901234567890")));
        assertNull(JsonRpcMessage.plainId(json("null")));
        assertNull(JsonRpcMessage.plainId(json("{\"a\":1}")));
        assertNull(JsonRpcMessage.plainId(null));
    }
}
