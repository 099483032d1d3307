package dev.manifold.broker.upstream;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The backends' meters: {@code manifold.broker.backends{state}} (how many per state), and per server
 * {@code manifold.broker.backend.connects}, {@code manifold.broker.backend.up} (1 when Ready) and
 * {@code manifold.broker.backend.state{state}} (1 for the current state), which name the culprit. The gauges read
 * the live backend by id, so a backend replaced by a changed entry keeps its series until {@link #forget}.
 */
final class BackendMeters {
    private final MeterRegistry registry;
    private final Map<String, Backend> backends;
    private final List<Gauge> gauges = new ArrayList<>();
    private final Map<String, Counter> connectCounters = new ConcurrentHashMap<>();
    private final Map<String, List<Gauge>> serverGauges = new ConcurrentHashMap<>();

    BackendMeters(MeterRegistry registry, Map<String, Backend> backends) {
        this.registry = registry;
        this.backends = backends;
        for (BackendState state : BackendState.values()) {
            gauges.add(Gauge.builder("manifold.broker.backends", backends,
                            all -> all.values().stream().filter(b -> b.state == state).count())
                    .description("Backends per health state")
                    .tag("state", state.label())
                    .register(registry));
        }
    }

    /** One connect attempt (an initialize handshake) of {@code id}. */
    void connectAttempt(String id) {
        connectCounters.computeIfAbsent(id, server -> Counter.builder("manifold.broker.backend.connects")
                .description("Connect attempts per backend (initialize handshakes)")
                .tag("server", server)
                .register(registry)).increment();
    }

    /** Registers the per-server gauges of {@code id} (once). */
    void track(String id) {
        serverGauges.computeIfAbsent(id, server -> {
            List<Gauge> list = new ArrayList<>();
            list.add(Gauge.builder("manifold.broker.backend.up", backends, all -> stateOf(all, server) == BackendState.READY ? 1 : 0)
                    .description("1 when the backend is Ready (its tools are served), else 0")
                    .tag("server", server)
                    .register(registry));
            for (BackendState state : BackendState.values()) {
                list.add(Gauge.builder("manifold.broker.backend.state", backends, all -> stateOf(all, server) == state ? 1 : 0)
                        .description("1 for the backend's current health state, 0 for the others")
                        .tag("server", server)
                        .tag("state", state.label())
                        .register(registry));
            }
            return list;
        });
    }

    /** Removes the per-server meters of a server that left the config, keeping label cardinality bounded. */
    void forget(String id) {
        Counter counter = connectCounters.remove(id);
        if (counter != null) {
            registry.remove(counter);
        }
        List<Gauge> perServer = serverGauges.remove(id);
        if (perServer != null) {
            perServer.forEach(registry::remove);
        }
    }

    /** Unregisters every gauge (they read the supervisor's map). */
    void close() {
        gauges.forEach(registry::remove);
        serverGauges.values().forEach(list -> list.forEach(registry::remove));
    }

    private static BackendState stateOf(Map<String, Backend> all, String id) {
        Backend backend = all.get(id);
        return backend == null ? null : backend.state;
    }
}
