package dev.manifold.controller.dependent;

import dev.manifold.controller.api.v1alpha1.MCPServer;
import dev.manifold.controller.claims.ServerIndex;
import dev.manifold.controller.validation.SpecValidation;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;
import io.quarkus.arc.Arc;

/**
 * The workload dependents exist only for a server whose spec is a valid {@code workload} and that owns its
 * prefix: a server that lost its prefix runs no pods (it would never be published) until it is promoted.
 * When a server stops qualifying, JOSDK deletes them. JOSDK instantiates conditions itself, so the claims
 * view is looked up from the container.
 */
public class WorkloadActivation implements Condition<HasMetadata, MCPServer> {
    @Override
    public boolean isMet(DependentResource<HasMetadata, MCPServer> dependentResource, MCPServer primary,
                         Context<MCPServer> context) {
        if (!SpecValidation.isRunnableWorkload(primary.getSpec())) {
            return false;
        }
        return Arc.container().instance(ServerIndex.class).get().winnerOver(primary).isEmpty();
    }
}
