package dev.manifold.controller;

import dev.manifold.runtime.testing.RedisServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTestProfile;

import java.util.List;
import java.util.Map;

/**
 * A private redis-server on a free port for fault tests (the shared Redis must never be stopped). Only the process
 * started here is ever stopped.
 */
public class PrivateRedis implements QuarkusTestResourceLifecycleManager {

    private static RedisServer server;

    /** Test profile pointing the controller at the private Redis. */
    public static class Profile implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(PrivateRedis.class));
        }
    }

    @Override
    public Map<String, String> start() {
        server = RedisServer.temporary().start();
        return Map.of("quarkus.redis.hosts", server.hosts());
    }

    @Override
    public void stop() {
        server.close();
    }

    static synchronized void startServer() {
        server.start();
    }

    static synchronized void stopServer() {
        server.stop();
    }
}
