package dev.manifold.broker;

import dev.manifold.broker.gateway.StandaloneConfigFile;
import dev.manifold.contracts.CredentialRef;
import dev.manifold.contracts.GatewayConfig;
import dev.manifold.contracts.PrefixMode;
import dev.manifold.contracts.ServerEntry;
import dev.manifold.contracts.SessionRecord;
import dev.manifold.contracts.ToolFilter;
import dev.manifold.contracts.Workload;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * Types Jackson binds by reflection, registered for the native image: the contracts records and the standalone
 * file model. Everything else on the wire is handled as Jackson trees.
 */
@RegisterForReflection(targets = {
        GatewayConfig.class, ServerEntry.class, ToolFilter.class, CredentialRef.class, dev.manifold.contracts.TokenExchange.class, Workload.class,
        PrefixMode.class, SessionRecord.class,
        StandaloneConfigFile.Document.class, StandaloneConfigFile.Server.class, StandaloneConfigFile.Credential.class
})
final class NativeReflection {
    private NativeReflection() {
    }
}
