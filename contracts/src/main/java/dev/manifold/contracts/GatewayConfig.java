package dev.manifold.contracts;

import java.util.List;
import java.util.Optional;

/**
 * The one document the controller publishes and the broker and proxy-runner consume. Build it with
 * {@link GatewayConfigCodec#build(PrefixMode, java.util.Collection)} or read it with
 * {@link GatewayConfigCodec#parse(byte[])}; both sort the servers by id, reject duplicate ids and stamp
 * {@code version} as {@code sha256:} over the canonical bytes of everything but the version.
 *
 * @param version    content hash, {@code sha256:<hex>}
 * @param prefixMode how the broker names aggregated tools
 * @param servers    servers sorted by id, ids unique
 */
public record GatewayConfig(String version, PrefixMode prefixMode, List<ServerEntry> servers) {

    public GatewayConfig {
        servers = servers == null ? List.of() : List.copyOf(servers);
        if (prefixMode == null) {
            prefixMode = PrefixMode.ALWAYS;
        }
    }

    /** The entry with this id, if present. */
    public Optional<ServerEntry> server(String id) {
        return servers.stream().filter(s -> s.id().equals(id)).findFirst();
    }
}
