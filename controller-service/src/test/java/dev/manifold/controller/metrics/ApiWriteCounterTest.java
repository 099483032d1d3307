package dev.manifold.controller.metrics;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class ApiWriteCounterTest {

    @Test
    void writesAreLabelledByResourceAndVerbAndReadsAreNotCounted() {
        assertEquals("configmaps", ApiWriteCounter.kind("/api/v1/namespaces/manifold-system/configmaps/manifold-config"));
        assertEquals("configmaps", ApiWriteCounter.kind("/api/v1/namespaces/manifold-system/configmaps"));
        assertEquals("statefulsets", ApiWriteCounter.kind("/apis/apps/v1/namespaces/ns/statefulsets/everything"));
        assertEquals("mcpservers/status",
                ApiWriteCounter.kind("/apis/mcp.manifold.dev/v1alpha1/namespaces/ns/mcpservers/x/status"));
        assertEquals("other", ApiWriteCounter.kind("/apis/example.com/v1/namespaces/ns/widgets/w"));
        assertEquals("patch", ApiWriteCounter.verb("PATCH"));
        assertEquals("create", ApiWriteCounter.verb("POST"));
        assertNull(ApiWriteCounter.verb("GET"));
    }
}
