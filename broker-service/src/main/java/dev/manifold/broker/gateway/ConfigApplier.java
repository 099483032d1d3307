package dev.manifold.broker.gateway;

import dev.manifold.broker.catalog.Aggregator;
import dev.manifold.broker.credentials.BackendCredentials;
import dev.manifold.broker.upstream.Backend;
import dev.manifold.broker.upstream.BackendEndpoints;
import dev.manifold.broker.upstream.BackendSupervisor;
import dev.manifold.contracts.GatewayConfig;
import dev.manifold.contracts.GatewayConfigCodec;
import dev.manifold.contracts.ServerEntry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Applies a config version incrementally: servers whose entry is unchanged are not touched, changed ones are
 * replaced, removed ones are closed with their monitors cancelled. A version equal to the applied one is a no-op.
 * Whatever the source (file, Redis), this is the only path by which config reaches the backends, and it never
 * writes the source.
 */
@ApplicationScoped
public class ConfigApplier {
    private static final Logger LOG = Logger.getLogger(ConfigApplier.class);

    private final BackendSupervisor supervisor;
    private final BackendEndpoints endpoints;
    private final Aggregator aggregator;
    private final BackendCredentials credentials;
    private final Counter applies;
    /** {@code manifold.broker.config.info{version}}: one row, for the version in force. */
    private final MultiGauge versionInfo;
    private volatile GatewayConfig applied;
    /** System.nanoTime() of the first apply; meaningful only once {@link #applied} is set. */
    private volatile long firstAppliedNanos;

    public ConfigApplier(BackendSupervisor supervisor, BackendEndpoints endpoints, Aggregator aggregator,
                         BackendCredentials credentials, MeterRegistry registry) {
        this.supervisor = supervisor;
        this.credentials = credentials;
        // A Secret (or standalone credential) that changed may be what a quarantined backend was waiting for.
        credentials.onChanged(supervisor::retryNow);
        this.endpoints = endpoints;
        this.aggregator = aggregator;
        this.versionInfo = MultiGauge.builder("manifold.broker.config.info")
                .description("1, labelled with the config version this broker has applied")
                .register(registry);
        this.applies = Counter.builder("manifold.broker.config.applies")
                .description("Config versions applied")
                .register(registry);
    }

    /** The config in force, or {@code null} before the first apply. */
    public GatewayConfig applied() {
        return applied;
    }

    /** {@code System.nanoTime()} when the first config was applied; meaningful only once {@link #applied()} is set. */
    public long firstAppliedNanos() {
        return firstAppliedNanos;
    }

    /** What one apply did. */
    public record Outcome(boolean applied, List<String> added, List<String> changed, List<String> removed, int unchanged) {
    }

    /** Applies {@code next} unless its version is already in force. */
    public synchronized Outcome apply(GatewayConfig next) {
        GatewayConfig current = applied;
        if (current != null && current.version().equals(next.version())) {
            return new Outcome(false, List.of(), List.of(), List.of(), next.servers().size());
        }
        Set<String> nextIds = new HashSet<>();
        next.servers().forEach(s -> nextIds.add(s.id()));
        List<String> removed = supervisor.all().stream().map(Backend::id).filter(id -> !nextIds.contains(id)).sorted().toList();
        removed.forEach(id -> {
            supervisor.stop(id);
            supervisor.forgetMetrics(id);
        });
        List<String> added = new java.util.ArrayList<>();
        List<String> changed = new java.util.ArrayList<>();
        int unchanged = 0;
        aggregator.prefixMode(next.prefixMode());
        // Workload servers are connected through the proxy-runner; the hash below is of what is connected.
        List<ServerEntry> connected = next.servers().stream().map(endpoints::resolve).toList();
        credentials.configure(connected); // before any connect, which reads them
        for (ServerEntry entry : connected) {
            Backend existing = supervisor.get(entry.id());
            if (existing == null) {
                added.add(entry.id());
                supervisor.start(entry);
            } else if (!existing.entryHash().equals(GatewayConfigCodec.entryHash(entry))) {
                changed.add(entry.id());
                supervisor.start(entry);
            } else {
                unchanged++;
            }
        }
        if (current == null) {
            firstAppliedNanos = System.nanoTime();
        }
        applied = next;
        applies.increment();
        versionGauge(next.version());
        aggregator.rebuild();
        LOG.infof("Applied config %s (prefixMode %s): %d added %s, %d changed %s, %d removed %s, %d unchanged",
                next.version(), next.prefixMode().wireName(), added.size(), added, changed.size(), changed,
                removed.size(), removed, unchanged);
        return new Outcome(true, List.copyOf(added), List.copyOf(changed), removed, unchanged);
    }

    /**
     * Replaces the version-info gauge, so that an alert can compare the version each broker applied with the one the
     * controller published ({@code manifold_controller_config_published_info}).
     */
    private void versionGauge(String version) {
        // overwrite: the previous version's row is removed, so there is always exactly one series
        versionInfo.register(List.of(MultiGauge.Row.of(Tags.of("version", version), 1)), true);
    }
}
