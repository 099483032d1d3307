package dev.manifold.broker.testing;

import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/**
 * Every span the broker under test ends, kept in memory. Quarkus adds each CDI {@link SpanProcessor} to its tracer
 * provider; while tracing is off (every profile but the tracing test's) the provider is never built and this
 * processor sees nothing.
 */
@Singleton
public class InMemoryTraces {

    public static final InMemorySpanExporter SPANS = InMemorySpanExporter.create();

    @Produces
    @Singleton
    SpanProcessor exportToMemory() {
        return SimpleSpanProcessor.create(SPANS);
    }
}
