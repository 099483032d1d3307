package dev.manifold.proxy;

import dev.manifold.contracts.CredentialRef;
import dev.manifold.contracts.GatewayConfig;
import dev.manifold.contracts.PrefixMode;
import dev.manifold.contracts.ServerEntry;
import dev.manifold.contracts.SessionRecord;
import dev.manifold.contracts.ToolFilter;
import dev.manifold.contracts.Workload;
import io.quarkus.runtime.annotations.RegisterForReflection;

/** The contract types the proxy-runner reads and writes with Jackson, registered so native builds keep them. */
@RegisterForReflection(targets = {SessionRecord.class, GatewayConfig.class, ServerEntry.class, Workload.class,
        ToolFilter.class, CredentialRef.class, dev.manifold.contracts.TokenExchange.class, PrefixMode.class})
final class NativeReflection {
    private NativeReflection() {
    }
}
