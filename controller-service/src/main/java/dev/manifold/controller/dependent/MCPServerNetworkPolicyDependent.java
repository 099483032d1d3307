package dev.manifold.controller.dependent;

import dev.manifold.controller.api.v1alpha1.MCPServer;
import dev.manifold.controller.config.ControllerConfig;
import dev.manifold.controller.config.InstallNamespace;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeerBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicySpec;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.Matcher;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import jakarta.inject.Inject;

import java.util.Map;
import java.util.TreeMap;

/**
 * Lets only the proxy-runner and the broker (pods with the configured labels in Manifold's namespace) reach a
 * workload's pods, on the MCP port.
 */
@KubernetesDependent(informer = @Informer(labelSelector = WorkloadNames.MANAGED_BY_SELECTOR))
public class MCPServerNetworkPolicyDependent extends CRUDKubernetesDependentResource<NetworkPolicy, MCPServer> {

    public static final String NAME = "network-policy";

    @Inject
    ControllerConfig config;
    @Inject
    InstallNamespace installNamespace;

    public MCPServerNetworkPolicyDependent() {
        super(NetworkPolicy.class);
    }

    @Override
    protected NetworkPolicy desired(MCPServer primary, Context<MCPServer> context) {
        String name = primary.getMetadata().getName();
        int port = WorkloadNames.port(primary.getSpec().getWorkload());
        NetworkPolicySpec spec = new NetworkPolicyBuilder().withNewSpec()
                .withNewPodSelector().withMatchLabels(WorkloadNames.selector(name)).endPodSelector()
                .withPolicyTypes("Ingress")
                .addNewIngress()
                .withFrom(peer(ControllerConfig.labels(config.proxyRunnerLabels())),
                        peer(ControllerConfig.labels(config.brokerLabels())))
                .addNewPort().withProtocol("TCP").withNewPort(port).endPort()
                .endIngress()
                .endSpec().build().getSpec();
        NetworkPolicy desired = new NetworkPolicyBuilder()
                .withNewMetadata()
                .withName(name + "-ingress")
                .withNamespace(primary.getMetadata().getNamespace())
                .withLabels(WorkloadNames.labels(name))
                .withAnnotations(new TreeMap<>())
                .endMetadata()
                .withSpec(spec)
                .build();
        return DesiredHash.stamp(desired, spec);
    }

    private NetworkPolicyPeer peer(Map<String, String> podLabels) {
        return new NetworkPolicyPeerBuilder()
                .withNewPodSelector().withMatchLabels(new TreeMap<>(podLabels)).endPodSelector()
                .withNewNamespaceSelector()
                .withMatchLabels(new TreeMap<>(Map.of("kubernetes.io/metadata.name", installNamespace.get())))
                .endNamespaceSelector()
                .build();
    }

    @Override
    public Matcher.Result<NetworkPolicy> match(NetworkPolicy actual, MCPServer primary, Context<MCPServer> context) {
        return DesiredHash.match(actual, desired(primary, context));
    }
}
