package dev.manifold.it.system;

import static org.awaitility.Awaitility.await;

import dev.manifold.it.support.ManagedProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Every config version announced on {@code <prefix>:config-changed}, as any subscriber sees them: a
 * {@code redis-cli SUBSCRIBE} process whose output is the log. Reads Redis; never publishes.
 */
final class ConfigChangeLog implements AutoCloseable {

    private final ManagedProcess subscriber;
    private final String channel;

    ConfigChangeLog(FakeCluster cluster, String redisPrefix, String name, Path logDir) {
        this.channel = redisPrefix + ":config-changed";
        subscriber = ManagedProcess.start(name, List.of("redis-cli", "-p", Integer.toString(cluster.redis().port()),
                "--csv", "SUBSCRIBE", channel), logDir, Map.of(), logDir);
        await("subscribed to " + channel).atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .until(() -> {
                    subscriber.assertAlive();
                    return subscriber.logText().contains("\"subscribe\"");
                });
    }

    /** The versions announced so far, in order (a version announced twice appears twice). */
    List<String> versions() {
        return subscriber.logText().lines().filter(l -> l.startsWith("\"message\""))
                .map(l -> l.substring(l.lastIndexOf(",\"") + 2, l.length() - 1)).toList();
    }

    @Override
    public void close() {
        subscriber.close();
    }
}
