package dev.manifold.proxy.http;

import dev.manifold.proxy.session.StoreUnavailableException;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * The exceptions that carry a per-request answer (503 pod busy, 502/replay for an unreachable pod, 503 store
 * unavailable) are created without a stack trace: filling one in walks the stack, which a native executable does
 * slowly, and it would happen per request exactly under overload or an outage. Their messages stay as they were.
 */
class ControlFlowExceptionsTest {

    @Test
    void answersCreatedPerRequestCarryNoStackTrace() {
        IOException refused = new IOException("Connection refused");
        BackendUnreachableException unreachable = new BackendUnreachableException("echo-0", refused);
        PodBusyException busy = new PodBusyException("echo-0", 5000);
        StoreUnavailableException store = new StoreUnavailableException("Redis did not answer GETEX within PT0.5S");

        assertEquals(0, unreachable.getStackTrace().length);
        assertEquals(0, busy.getStackTrace().length);
        assertEquals(0, store.getStackTrace().length);
        assertSame(refused, unreachable.getCause());
        assertEquals("pod echo-0 is unreachable: Connection refused", unreachable.getMessage());
        assertEquals("every connection to pod echo-0 stayed busy for 5000 ms", busy.getMessage());
    }
}
