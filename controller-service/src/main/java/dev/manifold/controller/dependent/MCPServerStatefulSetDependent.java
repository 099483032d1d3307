package dev.manifold.controller.dependent;

import dev.manifold.controller.api.v1alpha1.MCPServer;
import dev.manifold.controller.api.v1alpha1.WorkloadSpec;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSetSpec;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.Matcher;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The StatefulSet running a workload server. Its {@code serviceName} is the headless Service
 * {@code <name>-headless}, so every pod has a stable DNS record for the proxy-runner. Built from sorted inputs
 * (env by name, maps sorted) and updated only when the hash of that canonical form changes.
 */
@KubernetesDependent(informer = @Informer(labelSelector = WorkloadNames.MANAGED_BY_SELECTOR))
public class MCPServerStatefulSetDependent extends CRUDKubernetesDependentResource<StatefulSet, MCPServer> {

    public static final String NAME = "statefulset";

    public MCPServerStatefulSetDependent() {
        super(StatefulSet.class);
    }

    @Override
    protected StatefulSet desired(MCPServer primary, Context<MCPServer> context) {
        String name = primary.getMetadata().getName();
        WorkloadSpec w = primary.getSpec().getWorkload();
        List<EnvVar> env = w.getEnv() == null ? List.of() : w.getEnv().stream()
                .sorted(Comparator.comparing(WorkloadSpec.EnvEntry::getName))
                .map(e -> new EnvVarBuilder().withName(e.getName()).withValue(e.getValue() == null ? "" : e.getValue()).build())
                .toList();
        StatefulSetSpec spec = new StatefulSetBuilder().withNewSpec()
                .withServiceName(WorkloadNames.headlessService(name))
                .withReplicas(WorkloadNames.replicas(w))
                .withPodManagementPolicy("Parallel")
                .withNewSelector().withMatchLabels(WorkloadNames.selector(name)).endSelector()
                .withNewTemplate()
                .withNewMetadata().withLabels(WorkloadNames.labels(name)).endMetadata()
                .withNewSpec()
                // Pod Security Standards "restricted": non-root, RuntimeDefault seccomp, no escalation, no capabilities.
                .withNewSecurityContext()
                .withRunAsNonRoot(true)
                .withRunAsUser(w.getRunAsUser())
                .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
                .endSecurityContext()
                .addNewContainer()
                .withName("mcp-server")
                .withImage(w.getImage())
                .withArgs(w.getArgs() == null ? List.of() : List.copyOf(w.getArgs()))
                .withEnv(env)
                .addNewPort().withName("mcp").withContainerPort(WorkloadNames.port(w)).withProtocol("TCP").endPort()
                .withResources(w.getResources() != null ? w.getResources() : WorkloadNames.defaultResources())
                .withReadinessProbe(WorkloadNames.readinessProbe(w))
                .withNewSecurityContext()
                .withAllowPrivilegeEscalation(false)
                .withNewCapabilities().withDrop("ALL").endCapabilities()
                .endSecurityContext()
                .endContainer()
                .endSpec()
                .endTemplate()
                .endSpec().build().getSpec();
        StatefulSet desired = new StatefulSetBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(primary.getMetadata().getNamespace())
                .withLabels(WorkloadNames.labels(name))
                .withAnnotations(new java.util.TreeMap<>())
                .endMetadata()
                .withSpec(spec)
                .build();
        DesiredHash.stamp(desired, spec);
        // The pod template carries the hash too, so pods roll exactly when the canonical desired state changes.
        desired.getSpec().getTemplate().getMetadata().setAnnotations(Map.of(WorkloadNames.CONFIG_HASH, DesiredHash.of(desired)));
        return desired;
    }

    @Override
    public Matcher.Result<StatefulSet> match(StatefulSet actual, MCPServer primary, Context<MCPServer> context) {
        return DesiredHash.match(actual, desired(primary, context));
    }
}
