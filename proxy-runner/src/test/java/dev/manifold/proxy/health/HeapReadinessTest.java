package dev.manifold.proxy.health;

import org.junit.jupiter.api.Test;

import java.lang.management.MemoryUsage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The heap check reads usage after the last collection against the pool's maximum. */
class HeapReadinessTest {

    @Test
    void aHeapThatACollectionCannotFreeBelowTheThresholdIsNotReady() {
        long mib = 1024 * 1024;
        assertEquals(0.95, HeapReadiness.ratio(new MemoryUsage(0, 950 * mib, 1000 * mib, 1000 * mib)), 1e-9);
        assertFalse(HeapReadiness.ready(HeapReadiness.ratio(new MemoryUsage(0, 950 * mib, 1000 * mib, 1000 * mib)), 0.9));
        assertTrue(HeapReadiness.ready(HeapReadiness.ratio(new MemoryUsage(0, 400 * mib, 1000 * mib, 1000 * mib)), 0.9));
        assertEquals(0, HeapReadiness.ratio(new MemoryUsage(0, 400 * mib, 1000 * mib, -1)), "no maximum: unknown");
        assertEquals(0, HeapReadiness.ratio(null), "no collection yet");
    }
}
