package dev.manifold.broker.catalog;

import dev.manifold.broker.upstream.Backend;
import dev.manifold.broker.upstream.BackendState;
import dev.manifold.broker.upstream.BackendSupervisor;
import dev.manifold.contracts.PrefixMode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Keeps the current {@link ToolCatalog}: brought up to date (incrementally, by {@link ToolIndex}) whenever the
 * config or a backend's tools or health change.
 * Listeners hear only real changes (a different fingerprint), never a rebuild that changed nothing.
 */
@ApplicationScoped
public class Aggregator {
    private static final Logger LOG = Logger.getLogger(Aggregator.class);

    private final BackendSupervisor supervisor;
    private final MeterRegistry registry;
    private final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();
    /** Drops already logged and counted (ToolCatalog.Dropped, FeatureCatalog.Hidden): each is reported once while it lasts. */
    private final Set<Object> reported = new HashSet<>();
    /** Incremental: a backend event costs in proportion to that backend's tools, not to all tools. */
    private final ToolIndex tools = new ToolIndex();
    private volatile ToolCatalog catalog = ToolCatalog.empty();
    private volatile FeatureCatalog features = FeatureCatalog.empty();
    private volatile PrefixMode mode = PrefixMode.ALWAYS;
    private final Gauge toolsGauge;

    public Aggregator(BackendSupervisor supervisor, MeterRegistry registry) {
        this.supervisor = supervisor;
        this.registry = registry;
        this.toolsGauge = Gauge.builder("manifold.broker.tools", this, a -> a.catalog.size())
                .description("Tools currently served to clients")
                .register(registry);
        supervisor.onToolsChanged(this::rebuild);
    }

    /** Gauges read this bean; a later application in the same JVM (tests) must not read a stopped one. */
    @jakarta.annotation.PreDestroy
    void unregister() {
        registry.remove(toolsGauge);
    }

    public ToolCatalog catalog() {
        return catalog;
    }

    /** The aggregated prompts, resources and resource templates. */
    public FeatureCatalog features() {
        return features;
    }

    public void prefixMode(PrefixMode next) {
        this.mode = next;
    }

    /** Listens for changes of what clients see: called with {@code tools}, {@code prompts} or {@code resources}. */
    public void onChange(Consumer<String> listener) {
        listeners.add(listener);
    }

    /** Rebuilds from the live backends; notifies listeners only if what clients see changed. */
    public synchronized void rebuild() {
        List<ToolCatalog.Source> sources = supervisor.all().stream()
                .filter(b -> b.entry().isEnabled())
                .map(b -> new ToolCatalog.Source(b.entry(), b.tools(), b.state() == BackendState.READY))
                .toList();
        ToolCatalog next = tools.update(mode, sources);
        Set<Object> current = new HashSet<>(next.dropped());
        for (ToolCatalog.Dropped drop : next.dropped()) {
            if (reported.add(drop)) {
                LOG.warnf("Tool '%s' of server %s is not served: %s", drop.originalName(), drop.serverId(), drop.reason());
                count("manifold.broker.tools.dropped", "Tools left out of the aggregate, by reason",
                        Tags.of("reason", drop.reason().startsWith("collision") ? "collision" : drop.reason()));
            }
        }
        if (!next.fingerprint().equals(catalog.fingerprint())) {
            catalog = next;
            listeners.forEach(listener -> listener.accept("tools"));
        }
        FeatureCatalog nextFeatures = FeatureCatalog.build(mode, supervisor.all().stream()
                .filter(b -> b.entry().isEnabled())
                .map(b -> new FeatureCatalog.Source(b.entry(), b.prompts(), b.resources(), b.templates(),
                        b.offers("resources"), b.state() == BackendState.READY))
                .toList());
        current.addAll(nextFeatures.hidden());
        for (FeatureCatalog.Hidden hidden : nextFeatures.hidden()) {
            if (reported.add(hidden)) {
                LOG.warnf("%s '%s' of server %s is not served: %s of server %s has the same exposed name '%s'",
                        hidden.kind(), hidden.original(), hidden.serverId(), hidden.kind(), hidden.winner(), hidden.exposed());
                count("manifold.broker.features.dropped",
                        "Prompts, resources and resource templates left out of the aggregate, by kind and reason",
                        Tags.of("kind", hidden.kind(), "reason", "collision"));
            }
        }
        reported.retainAll(current);
        FeatureCatalog previous = features;
        features = nextFeatures;
        if (!nextFeatures.promptsFingerprint().equals(previous.promptsFingerprint())) {
            listeners.forEach(listener -> listener.accept("prompts"));
        }
        if (!nextFeatures.resourcesFingerprint().equals(previous.resourcesFingerprint())) {
            listeners.forEach(listener -> listener.accept("resources"));
        }
    }

    private void count(String name, String description, Tags tags) {
        Counter.builder(name).description(description).tags(tags).register(registry).increment();
    }

    /** Whether a backend with this id is configured and ready. */
    public boolean isServing(String serverId) {
        Backend backend = supervisor.get(serverId);
        return backend != null && backend.state() == BackendState.READY;
    }
}
