package dev.manifold.controller.trigger;

import dev.manifold.controller.api.v1alpha1.MCPServer;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Lets components outside the reconciler (claims, health) ask for a server to be reconciled again. A
 * reconcile only writes when the status differs, so a spurious trigger costs a read, never a write.
 */
@ApplicationScoped
public class ReconcileTrigger {

    private final SimpleInboundEventSource<MCPServer> source = new SimpleInboundEventSource<>("manifold-trigger");

    /** The event source the reconciler registers (its only reader). */
    public SimpleInboundEventSource<MCPServer> eventSource() {
        return source;
    }

    /** Queues a reconcile of {@code namespace/name}; ignored until the operator has started. */
    public void reconcile(String namespace, String name) {
        if (source.isRunning()) {
            source.propagateEvent(new ResourceID(name, namespace));
        }
    }
}
