package dev.manifold.controller.publish;

import dev.manifold.contracts.CredentialRef;
import dev.manifold.contracts.GatewayConfig;
import dev.manifold.contracts.PrefixMode;
import dev.manifold.contracts.ServerEntry;
import dev.manifold.contracts.ToolFilter;
import dev.manifold.contracts.Workload;
import io.quarkus.runtime.annotations.RegisterForReflection;

/** The contracts types Jackson serializes when the config is published, registered for native images. */
@RegisterForReflection(targets = {GatewayConfig.class, ServerEntry.class, Workload.class, ToolFilter.class,
        CredentialRef.class, dev.manifold.contracts.TokenExchange.class, PrefixMode.class})
final class ContractsReflection {
    private ContractsReflection() {
    }
}
