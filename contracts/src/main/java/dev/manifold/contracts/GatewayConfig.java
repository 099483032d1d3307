package dev.manifold.contracts;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;
import java.util.Optional;

/**
 * The one document the controller publishes and the broker and proxy-runner consume. Build it with
 * {@link GatewayConfigCodec#build(PrefixMode, java.util.Collection)} or read it with
 * {@link GatewayConfigCodec#parse(byte[])}; both sort the servers by id, reject duplicate ids and stamp
 * {@code version} as {@code sha256:} over the canonical bytes of everything but the version.
 *
 * <p>{@code version} says what the config is; {@code generation} says when it was published. Consumers apply a
 * config only if it {@link #supersedes} the one in force: newer, not just different, so a stale copy (a Redis
 * restored from an old snapshot, a ConfigMap read while Redis is down) never rolls them back.
 *
 * @param version    content hash, {@code sha256:<hex>}; {@code generation} is not part of it
 * @param prefixMode how the broker names aggregated tools
 * @param servers    servers sorted by id, ids unique
 * @param generation when the controller published this content: greater than every generation it published
 *                   before (see {@link #nextGeneration}); 0 when unknown (a document built locally, or written
 *                   before generations existed)
 */
public record GatewayConfig(String version, PrefixMode prefixMode, List<ServerEntry> servers,
                            @JsonInclude(JsonInclude.Include.NON_DEFAULT) long generation) {

    public GatewayConfig {
        servers = servers == null ? List.of() : List.copyOf(servers);
        if (prefixMode == null) {
            prefixMode = PrefixMode.ALWAYS;
        }
        if (generation < 0) {
            throw new ConfigValidationException("generation", "must not be negative, got " + generation);
        }
    }

    /** How a document is read: a document without {@code generation} has generation 0 (unknown). */
    @JsonCreator
    static GatewayConfig read(@JsonProperty("version") String version, @JsonProperty("prefixMode") PrefixMode prefixMode,
                              @JsonProperty("servers") List<ServerEntry> servers,
                              @JsonProperty("generation") Long generation) {
        return new GatewayConfig(version, prefixMode, servers, generation == null ? 0 : generation);
    }

    /** The same content stamped with a publication generation. */
    public GatewayConfig withGeneration(long newGeneration) {
        return new GatewayConfig(version, prefixMode, servers, newGeneration);
    }

    /**
     * Whether a consumer that has {@code applied} in force should apply this one: always when nothing is applied;
     * never when the content is the same; otherwise only when this one is newer. When either generation is unknown
     * (0) a different version is enough, which is how documents without a generation have always been applied.
     */
    public boolean supersedes(GatewayConfig applied) {
        if (applied == null) {
            return true;
        }
        if (applied.version() != null && applied.version().equals(version)) {
            return false;
        }
        return generation == 0 || applied.generation() == 0 || generation > applied.generation();
    }

    /** Whether both generations are known and this one is greater: newer beyond doubt. */
    public boolean newerThan(GatewayConfig applied) {
        return applied != null && generation > 0 && applied.generation() > 0 && generation > applied.generation();
    }

    /**
     * The generation to publish new content with, after {@code highestSeen} (the greatest generation found in any
     * store, 0 if none): greater than it, and at least the wall clock in milliseconds, so generations keep rising
     * even after every stored copy was lost and the publisher restarted.
     */
    public static long nextGeneration(long highestSeen, long nowMillis) {
        return Math.max(highestSeen + 1, nowMillis);
    }

    /** The entry with this id, if present. */
    public Optional<ServerEntry> server(String id) {
        return servers.stream().filter(s -> s.id().equals(id)).findFirst();
    }
}
