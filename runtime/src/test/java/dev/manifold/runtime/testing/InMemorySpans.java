package dev.manifold.runtime.testing;

import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;

/**
 * Every span a service under test ends, kept in memory for its tracing tests. A service's test produces
 * {@link #processor()} as a CDI {@code SpanProcessor} bean, which Quarkus adds to its tracer provider; while tracing is
 * off (every profile but the tracing tests') the provider is never built and nothing reaches it.
 */
public final class InMemorySpans {

    public static final InMemorySpanExporter SPANS = InMemorySpanExporter.create();

    private InMemorySpans() {
    }

    /** Exports each span to {@link #SPANS} as it ends. */
    public static SpanProcessor processor() {
        return SimpleSpanProcessor.create(SPANS);
    }
}
