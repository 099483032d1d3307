package dev.manifold.proxy.http;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.inject.Singleton;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The proxy-runner's request metrics. Labels are bounded: {@code server} is a routed server id (or
 * {@code _unrouted}), {@code outcome} and {@code reason} come from fixed enums.
 */
@Singleton
public class ProxyMetrics {

    /** Server label for requests to a path with no route (never the raw path). */
    static final String UNROUTED = "_unrouted";

    private final MeterRegistry registry;
    private final Timer requestTimer;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Map<String, Counter[]> requestCounters = new ConcurrentHashMap<>();

    public ProxyMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.requestTimer = Timer.builder("manifold.proxy.request")
                .description("Time from request arrival until the response headers are sent")
                .serviceLevelObjectives(java.time.Duration.ofMillis(1), java.time.Duration.ofMillis(5),
                        java.time.Duration.ofMillis(10), java.time.Duration.ofMillis(25), java.time.Duration.ofMillis(50),
                        java.time.Duration.ofMillis(100), java.time.Duration.ofMillis(250), java.time.Duration.ofMillis(500),
                        java.time.Duration.ofSeconds(1), java.time.Duration.ofMillis(2500), java.time.Duration.ofSeconds(5))
                .register(registry);
    }

    void request(String server, ProxyOutcome outcome, long startNanos) {
        requestTimer.record(System.nanoTime() - startNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
        // Meters are cached per server and outcome: the hot path does one map lookup and no string building.
        Counter[] byOutcome = requestCounters.get(server);
        if (byOutcome == null) {
            byOutcome = requestCounters.computeIfAbsent(server, k -> new Counter[ProxyOutcome.values().length]);
        }
        Counter counter = byOutcome[outcome.ordinal()];
        if (counter == null) {
            counter = Counter.builder("manifold.proxy.requests")
                    .description("Requests handled, by server and outcome")
                    .tag("server", server).tag("outcome", outcome.tag).register(registry);
            byOutcome[outcome.ordinal()] = counter; // a racing writer stores the same registered meter
        }
        counter.increment();
    }

    /** A pod's SSE answer that ended before its JSON-RPC response: the client was sent an error event instead. */
    void cutStream(String server) {
        counters.computeIfAbsent("c\0" + server, k -> Counter.builder("manifold.proxy.cut.streams")
                .description("SSE answers a pod ended before its response (it died mid-call); the client got a JSON-RPC error")
                .tag("server", server).register(registry)).increment();
    }

    void reinitialized(String server, ReinitReason reason) {
        counters.computeIfAbsent("i\0" + server + '\0' + reason.tag, k -> Counter.builder("manifold.proxy.reinitializations")
                .description("Sessions re-initialized on another pod, by server and reason")
                .tag("server", server).tag("reason", reason.tag).register(registry)).increment();
    }

    /** Why a session was re-initialized. */
    enum ReinitReason {
        /** The pinned pod left the ready set. */
        POD_GONE("pod_gone"),
        /** The pinned pod refused the connection. */
        CONNECT_FAILED("connect_failed"),
        /** The pinned pod answered 404 for the backend session (it restarted). */
        SESSION_NOT_FOUND("session_not_found");

        final String tag;

        ReinitReason(String tag) {
            this.tag = tag;
        }
    }
}
