package dev.manifold.controller;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.util.Map;
import java.util.UUID;

/** A fresh Redis key prefix per application start: the Redis at 127.0.0.1:6379 is shared with other runs. */
public class UniqueRedisPrefix implements QuarkusTestResourceLifecycleManager {
    @Override
    public Map<String, String> start() {
        return Map.of("manifold.controller.redis-prefix", "mtest-" + UUID.randomUUID().toString().substring(0, 12));
    }

    @Override
    public void stop() {
    }
}
