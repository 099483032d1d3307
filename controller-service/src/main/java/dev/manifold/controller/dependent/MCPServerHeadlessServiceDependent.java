package dev.manifold.controller.dependent;

import dev.manifold.controller.api.v1alpha1.MCPServer;
import dev.manifold.controller.api.v1alpha1.WorkloadSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.Matcher;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

import java.util.TreeMap;

/** The headless Service {@code <name>-headless} that gives each workload pod its DNS record. */
@KubernetesDependent(informer = @Informer(labelSelector = WorkloadNames.MANAGED_BY_SELECTOR))
public class MCPServerHeadlessServiceDependent extends CRUDKubernetesDependentResource<Service, MCPServer> {

    public static final String NAME = "headless-service";

    public MCPServerHeadlessServiceDependent() {
        super(Service.class);
    }

    @Override
    protected Service desired(MCPServer primary, Context<MCPServer> context) {
        String name = primary.getMetadata().getName();
        WorkloadSpec w = primary.getSpec().getWorkload();
        ServiceSpec spec = new ServiceBuilder().withNewSpec()
                .withClusterIP("None")
                .withSelector(WorkloadNames.selector(name))
                .withPublishNotReadyAddresses(false)
                .addNewPort().withName("mcp").withPort(WorkloadNames.port(w)).withProtocol("TCP")
                .withNewTargetPort("mcp").endPort()
                .endSpec().build().getSpec();
        Service desired = new ServiceBuilder()
                .withNewMetadata()
                .withName(WorkloadNames.headlessService(name))
                .withNamespace(primary.getMetadata().getNamespace())
                .withLabels(WorkloadNames.labels(name))
                .withAnnotations(new TreeMap<>())
                .endMetadata()
                .withSpec(spec)
                .build();
        return DesiredHash.stamp(desired, spec);
    }

    @Override
    public Matcher.Result<Service> match(Service actual, MCPServer primary, Context<MCPServer> context) {
        return DesiredHash.match(actual, desired(primary, context));
    }
}
