package dev.manifold.controller.reconciler;

import dev.manifold.controller.api.v1alpha1.MCPServer;
import dev.manifold.controller.api.v1alpha1.MCPServerStatus;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MCPServerStatusAggregatorTest {

    private static final Clock T1 = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);
    private static final Clock T2 = Clock.fixed(Instant.parse("2026-01-01T01:00:00Z"), ZoneOffset.UTC);

    @Test
    void sameStatusAndReasonKeepTheTransitionTimeAndNeedNoWrite() {
        MCPServer server = server(1L);
        server.setStatus(new MCPServerStatusAggregator(server, T1)
                .condition(MCPServerStatus.ACCEPTED, true, "Accepted", "ok").url("http://x/mcp").build());

        MCPServerStatusAggregator again = new MCPServerStatusAggregator(server, T2)
                .condition(MCPServerStatus.ACCEPTED, true, "Accepted", "ok").url("http://x/mcp");
        assertFalse(again.changed());
        assertEquals("2026-01-01T00:00:00Z", accepted(again).getLastTransitionTime());
    }

    @Test
    void aNewMessageIsWrittenButKeepsTheTransitionTime() {
        MCPServer server = server(1L);
        server.setStatus(new MCPServerStatusAggregator(server, T1)
                .condition(MCPServerStatus.ACCEPTED, true, "Accepted", "ok").build());
        MCPServerStatusAggregator next = new MCPServerStatusAggregator(server, T2)
                .condition(MCPServerStatus.ACCEPTED, true, "Accepted", "still ok");
        assertTrue(next.changed());
        assertEquals("2026-01-01T00:00:00Z", accepted(next).getLastTransitionTime());
    }

    @Test
    void aNewReasonOrGenerationIsAChange() {
        MCPServer server = server(1L);
        server.setStatus(new MCPServerStatusAggregator(server, T1)
                .condition(MCPServerStatus.ACCEPTED, false, "InvalidSpec", "bad").build());
        MCPServerStatusAggregator reason = new MCPServerStatusAggregator(server, T2)
                .condition(MCPServerStatus.ACCEPTED, false, "PrefixConflict", "taken");
        assertTrue(reason.changed());
        assertEquals("2026-01-01T01:00:00Z", accepted(reason).getLastTransitionTime());

        server.getMetadata().setGeneration(2L);
        MCPServerStatusAggregator generation = new MCPServerStatusAggregator(server, T2)
                .condition(MCPServerStatus.ACCEPTED, false, "InvalidSpec", "bad");
        assertTrue(generation.changed());
        assertEquals(2L, accepted(generation).getObservedGeneration());
        assertEquals("2026-01-01T00:00:00Z", accepted(generation).getLastTransitionTime());
    }

    private static Condition accepted(MCPServerStatusAggregator a) {
        return a.build().condition(MCPServerStatus.ACCEPTED).orElseThrow();
    }

    private static MCPServer server(long generation) {
        MCPServer s = new MCPServer();
        s.setMetadata(new ObjectMetaBuilder().withNamespace("ns").withName("s").withGeneration(generation).build());
        return s;
    }
}
