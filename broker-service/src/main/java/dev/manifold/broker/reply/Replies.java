package dev.manifold.broker.reply;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.manifold.broker.session.ClientStreams;
import dev.manifold.broker.settings.BrokerConfig;
import dev.manifold.broker.upstream.Backend;
import dev.manifold.broker.upstream.BackendState;
import dev.manifold.broker.upstream.BackendSupervisor;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * What every answer to a client shares: the JSON mapper, the sessions that keep SSE streams for resumption, the
 * local-answer transport policy, and the request metrics ({@code manifold.broker.requests},
 * {@code manifold.broker.request}).
 */
@ApplicationScoped
public class Replies {
    final ObjectMapper mapper;
    final BrokerConfig config;
    final ClientStreams streams;
    private final BackendSupervisor supervisor;
    private final MeterRegistry registry;
    private final Map<String, Counter> requestCounters = new ConcurrentHashMap<>();
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();

    public Replies(ObjectMapper mapper, BrokerConfig config, ClientStreams streams, BackendSupervisor supervisor,
                   MeterRegistry registry) {
        this.mapper = mapper;
        this.config = config;
        this.streams = streams;
        this.supervisor = supervisor;
        this.registry = registry;
    }

    /** A client request that has just arrived. */
    public Exchange start(RoutingContext ctx) {
        return new Exchange(this, ctx, System.nanoTime());
    }

    /** Whether local answers go as SSE: configured, or (auto) when every ready backend answers with streams. */
    boolean streamLocalAnswers() {
        String mode = config.localResponses();
        if ("sse".equalsIgnoreCase(mode)) {
            return true;
        }
        if (!"auto".equalsIgnoreCase(mode)) {
            return false;
        }
        boolean any = false;
        for (Backend backend : supervisor.all()) {
            if (backend.state() == BackendState.READY) {
                if (!backend.streams()) {
                    return false;
                }
                any = true;
            }
        }
        return any;
    }

    void count(String method, String outcome, long started) {
        requestCounters.computeIfAbsent(method + "|" + outcome, k -> Counter.builder("manifold.broker.requests")
                        .description("Client requests by JSON-RPC method and outcome")
                        .tag("method", method)
                        .tag("outcome", outcome)
                        .register(registry))
                .increment();
        timers.computeIfAbsent(method, m -> Timer.builder("manifold.broker.request")
                        .description("Client request latency, by method")
                        .tag("method", m)
                        .publishPercentileHistogram()
                        .register(registry))
                .record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
    }
}
