package dev.manifold.broker.relay;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.TextNode;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ServerRequestIdsTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Test
    void roundTripsStringAndIntegerIds() {
        for (var original : java.util.List.of(IntNode.valueOf(1), LongNode.valueOf(Long.MAX_VALUE), TextNode.valueOf("req-ü/+="), TextNode.valueOf(""))) {
            String exposed = ServerRequestIds.encode("team-a/alpha", original);
            assertTrue(exposed.matches("mfs-[A-Za-z0-9_-]+"), exposed);
            ServerRequestIds.Decoded decoded = ServerRequestIds.decode(MAPPER, exposed);
            assertEquals("team-a/alpha", decoded.serverId());
            assertEquals(original.asText(), decoded.originalId().asText());
            assertEquals(original.isTextual(), decoded.originalId().isTextual(), "a string id stays a string");
        }
    }

    @Test
    void theSameIdOfTwoServersDiffers() {
        assertNotEquals(ServerRequestIds.encode("alpha", IntNode.valueOf(1)), ServerRequestIds.encode("beta", IntNode.valueOf(1)));
        assertNotEquals(ServerRequestIds.encode("alpha", IntNode.valueOf(1)), ServerRequestIds.encode("alpha", TextNode.valueOf("1")));
    }

    private static String b64(String json) {
        return "mfs-" + Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void foreignIdsDecodeToNull() {
        assertNull(ServerRequestIds.decode(MAPPER, null));
        assertNull(ServerRequestIds.decode(MAPPER, "7"));
        assertNull(ServerRequestIds.decode(MAPPER, "client-request-1"));
        assertNull(ServerRequestIds.decode(MAPPER, "mfs-"));
        assertNull(ServerRequestIds.decode(MAPPER, "mfs-!!!not base64!!!"));
        assertNull(ServerRequestIds.decode(MAPPER, b64("{\"a\":1}")));
        assertNull(ServerRequestIds.decode(MAPPER, b64("[\"alpha\"]")));
        assertNull(ServerRequestIds.decode(MAPPER, b64("[\"alpha\",1,2]")));
        assertNull(ServerRequestIds.decode(MAPPER, b64("[1,1]")));
        assertNull(ServerRequestIds.decode(MAPPER, b64("[\"alpha\",{\"x\":1}]")));
        assertNull(ServerRequestIds.decode(MAPPER, b64("[\"alpha\",1.5]")));
        assertNull(ServerRequestIds.decode(MAPPER, b64("not json")));
    }
}
