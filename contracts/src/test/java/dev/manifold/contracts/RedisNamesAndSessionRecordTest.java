package dev.manifold.contracts;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RedisNamesAndSessionRecordTest {

    @Test
    void everyNameCarriesTheConfiguredPrefix() {
        RedisNames names = new RedisNames("staging");
        assertEquals("staging:config", names.configKey());
        assertEquals("staging:health:ns/weather", names.healthKey("ns/weather"));
        assertEquals("staging:broker:session:s1", names.brokerSessionKey("s1"));
        assertEquals("staging:proxy:session:s1", names.proxySessionKey("s1"));
        assertEquals("staging:config-changed", names.configChangedChannel());
        assertEquals("staging:health-changed", names.healthChangedChannel());
        assertEquals("staging:session-evicted", names.sessionEvictedChannel());
        assertEquals("manifold:config", RedisNames.defaults().configKey());
        assertThrows(IllegalArgumentException.class, () -> new RedisNames(" "));
    }

    @Test
    void sessionRecordRoundTripsThroughJson() {
        SessionRecord record = new SessionRecord("sid-1", "demo/echo", "echo-0", "http://echo-0:3001/mcp", "b-1",
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\"}", "2025-06-18", null, 42L);
        SessionRecord back = SessionRecord.fromJson(record.toJson());
        assertEquals(record, back);
        assertEquals(SessionRecord.ANONYMOUS, back.principal());
        SessionRecord moved = back.repinned("echo-1", "http://echo-1:3001/mcp", "b-2");
        assertEquals("sid-1", moved.sid());
        assertEquals("echo-1", moved.pod());
        assertEquals(record.initialize(), moved.initialize());
    }

    @Test
    void storedSessionWithUnknownFieldIsRejected() {
        ConfigValidationException e = assertThrows(ConfigValidationException.class,
                () -> SessionRecord.fromJson("{\"sid\":\"a\",\"serverId\":\"x/y\",\"createdAt\":1,\"podd\":\"p\"}"));
        assertTrue(e.getMessage().contains("podd"), e.getMessage());
    }
}
