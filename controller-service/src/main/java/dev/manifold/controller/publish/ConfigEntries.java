package dev.manifold.controller.publish;

import dev.manifold.contracts.CredentialRef;
import dev.manifold.contracts.ServerEntry;
import dev.manifold.contracts.TokenExchange;
import dev.manifold.contracts.ToolFilter;
import dev.manifold.contracts.Workload;
import dev.manifold.controller.api.v1alpha1.MCPServer;
import dev.manifold.controller.api.v1alpha1.MCPServerSpec;
import dev.manifold.controller.api.v1alpha1.WorkloadSpec;
import dev.manifold.controller.dependent.WorkloadNames;

/** Turns an accepted MCPServer into its entry in the published config. Pure. */
public final class ConfigEntries {

    private ConfigEntries() {
    }

    /**
     * The entry for {@code server}; {@code resolvedUrl} is the status URL of a {@code targetRef} server. A
     * workload server has no URL: the broker reaches it through the proxy-runner.
     */
    public static ServerEntry entry(MCPServer server, String resolvedUrl) {
        MCPServerSpec spec = server.getSpec();
        String ns = server.getMetadata().getNamespace();
        String name = server.getMetadata().getName();
        String url = spec.getUrl() != null ? spec.getUrl() : spec.getTargetRef() != null ? resolvedUrl : null;
        ToolFilter filter = spec.getToolFilter() == null ? null
                : new ToolFilter(spec.getToolFilter().getInclude(), spec.getToolFilter().getExclude());
        CredentialRef credential = spec.getCredentialRef() == null ? null
                : new CredentialRef(ns, spec.getCredentialRef().getName(), spec.getCredentialRef().getKey(),
                spec.getCredentialRef().getHeader());
        Workload workload = null;
        WorkloadSpec w = spec.getWorkload();
        if (w != null) {
            workload = new Workload(name, WorkloadNames.headlessService(name), ns, WorkloadNames.port(w),
                    WorkloadNames.path(w), WorkloadNames.replicas(w));
        }
        TokenExchange exchange = spec.getTokenExchange() == null ? null : new TokenExchange(
                spec.getTokenExchange().getTokenEndpoint(), spec.getTokenExchange().getAudience(),
                spec.getTokenExchange().getScopes());
        return new ServerEntry(server.id(), spec.getToolPrefix(), url, Boolean.TRUE, filter, credential,
                spec.getProtocolHint(), workload, spec.getAuthPassthrough(), exchange);
    }
}
