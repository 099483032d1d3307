package dev.manifold.broker.testing;

import dev.manifold.runtime.testing.InMemorySpans;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SpanProcessor;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** This service's tests' spans, in memory ({@link InMemorySpans}): the processor as a CDI bean Quarkus picks up. */
@Singleton
public class InMemoryTraces {

    public static final InMemorySpanExporter SPANS = InMemorySpans.SPANS;

    @Produces
    @Singleton
    SpanProcessor exportToMemory() {
        return InMemorySpans.processor();
    }
}
