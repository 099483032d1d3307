package dev.manifold.broker.settings;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.jackson.ObjectMapperCustomizer;
import jakarta.inject.Singleton;

/** Applies {@code max-json-depth} to the broker's ObjectMapper, which reads every client body and backend answer. */
@Singleton
public class JsonLimits implements ObjectMapperCustomizer {
    private final int maxDepth;

    public JsonLimits(BrokerConfig config) {
        this.maxDepth = config.maxJsonDepth();
    }

    @Override
    public void customize(ObjectMapper mapper) {
        mapper.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(maxDepth).build());
    }
}
