package dev.manifold.controller.metrics;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/**
 * JOSDK's Micrometer metrics register {@code events.received} both with and without an {@code action} tag;
 * Prometheus rejects a name with two tag-key sets, and the rejection surfaces as a failed reconcile. This
 * filter gives the tag-less variant {@code action="none"} so both share one set of keys.
 */
@Singleton
public class OperatorMetricsTags {

    @Produces
    @Singleton
    MeterFilter uniformEventTags() {
        return new MeterFilter() {
            @Override
            public Meter.Id map(Meter.Id id) {
                if (id.getName().endsWith("events.received") && id.getTag("action") == null) {
                    return id.withTag(io.micrometer.core.instrument.Tag.of("action", "none"));
                }
                return id;
            }
        };
    }
}
