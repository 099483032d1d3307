package dev.manifold.controller.claims;

import dev.manifold.contracts.PrefixMode;
import dev.manifold.controller.api.v1alpha1.MCPServer;
import dev.manifold.controller.api.v1alpha1.MCPServerSpec;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClaimsTest {

    @Test
    void oldestClaimantWinsThenSmallestIdWhateverTheOrder() {
        List<MCPServer> servers = List.of(
                server("b", "second", "2026-01-01T00:00:01Z", "p_"),
                server("a", "first", "2026-01-01T00:00:01Z", "p_"),
                server("z", "oldest", "2026-01-01T00:00:00Z", "p_"),
                server("a", "other", "2026-01-01T00:00:00Z", "q_"));
        Random random = new Random(42);
        for (int i = 0; i < 50; i++) {
            List<MCPServer> shuffled = new ArrayList<>(servers);
            Collections.shuffle(shuffled, random);
            assertEquals(Map.of("b/second", "z/oldest", "a/first", "z/oldest"), Claims.losers(shuffled, PrefixMode.ALWAYS));
        }
    }

    @Test
    void sameTimestampIsDecidedById() {
        MCPServer a = server("ns", "a", "2026-01-01T00:00:00Z", "p_");
        MCPServer b = server("ns", "b", "2026-01-01T00:00:00Z", "p_");
        assertEquals("ns/a", Claims.winnerOver(b, List.of(a, b), PrefixMode.ALWAYS).orElseThrow().id());
        assertTrue(Claims.winnerOver(a, List.of(a, b), PrefixMode.ALWAYS).isEmpty());
    }

    @Test
    void invalidOrDeletedServersClaimNothing() {
        MCPServer invalid = server("ns", "old", "2025-01-01T00:00:00Z", "p_");
        invalid.getSpec().setWorkload(new dev.manifold.controller.api.v1alpha1.WorkloadSpec());
        MCPServer deleting = server("ns", "older", "2024-01-01T00:00:00Z", "p_");
        deleting.getMetadata().setDeletionTimestamp("2026-01-01T00:00:00Z");
        MCPServer young = server("ns", "young", "2026-01-01T00:00:00Z", "p_");
        assertTrue(Claims.winnerOver(young, List.of(invalid, deleting, young), PrefixMode.ALWAYS).isEmpty());
        assertTrue(Claims.losers(List.of(invalid, deleting, young), PrefixMode.ALWAYS).isEmpty());
    }

    @Test
    void serversWithoutPrefixNeverConflictWhenTheModeAllowsIt() {
        MCPServer a = server("ns", "a", "2026-01-01T00:00:00Z", null);
        MCPServer b = server("ns", "b", "2026-01-01T00:00:00Z", null);
        assertTrue(Claims.losers(List.of(a, b), PrefixMode.NEVER).isEmpty());
    }

    private static MCPServer server(String ns, String name, String created, String prefix) {
        MCPServer s = new MCPServer();
        s.setMetadata(new ObjectMetaBuilder().withNamespace(ns).withName(name).withCreationTimestamp(created).build());
        MCPServerSpec spec = new MCPServerSpec();
        spec.setToolPrefix(prefix);
        spec.setUrl("http://" + name + ".example/mcp");
        s.setSpec(spec);
        return s;
    }
}
