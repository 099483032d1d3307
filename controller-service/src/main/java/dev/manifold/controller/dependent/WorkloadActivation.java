package dev.manifold.controller.dependent;

import dev.manifold.controller.api.v1alpha1.MCPServer;
import dev.manifold.controller.claims.SpecValidation;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;

/**
 * The workload dependents exist only for a server whose spec is a valid {@code workload}; when it stops being
 * one, JOSDK deletes them.
 */
public class WorkloadActivation implements Condition<HasMetadata, MCPServer> {
    @Override
    public boolean isMet(DependentResource<HasMetadata, MCPServer> dependentResource, MCPServer primary,
                         Context<MCPServer> context) {
        return SpecValidation.isRunnableWorkload(primary.getSpec());
    }
}
