package dev.manifold.broker;

import dev.manifold.broker.testing.McpClient;
import dev.manifold.broker.testing.PrivateRedisBackends;
import dev.manifold.contracts.GatewayConfig;
import dev.manifold.contracts.GatewayConfigCodec;
import dev.manifold.contracts.PrefixMode;
import dev.manifold.contracts.RedisNames;
import dev.manifold.contracts.ServerEntry;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.awaitility.Awaitility.await;

/**
 * The broker notices a lost Redis pub/sub connection, re-subscribes, and keeps exactly one watch loop (a PING every
 * second here) however often that happens: the loop of a previous subscription ends when a new one starts.
 */
@QuarkusTest
@WithTestResource(PrivateRedisBackends.class)
class RedisReconnectTest {
    private static final Pattern CLIENT_ID = Pattern.compile("(?m)^id=(\\d+) ");
    private static final Pattern PING_CALLS = Pattern.compile("cmdstat_ping:calls=(\\d+)");

    @Inject
    RedisDataSource redis;

    private void publish(ServerEntry... servers) {
        RedisNames names = new RedisNames(PrivateRedisBackends.prefix);
        GatewayConfig config = GatewayConfigCodec.build(PrefixMode.ALWAYS, List.of(servers));
        redis.value(String.class).set(names.configKey(), new String(GatewayConfigCodec.toJson(config), StandardCharsets.UTF_8));
        redis.pubsub(String.class).publish(names.configChangedChannel(), config.version());
    }

    private static ServerEntry alpha(String prefix) {
        return new ServerEntry("team-a/alpha", prefix, PrivateRedisBackends.alpha.url(), true, null, null, null, null);
    }

    /** The ids of the pub/sub connections (the broker's subscription). */
    private Set<Long> pubsubConnections() {
        String clients = redis.execute("CLIENT", "LIST", "TYPE", "pubsub").toString();
        Set<Long> ids = new HashSet<>();
        Matcher m = CLIENT_ID.matcher(clients);
        while (m.find()) {
            ids.add(Long.parseLong(m.group(1)));
        }
        return ids;
    }

    /** PINGs Redis served since the last CONFIG RESETSTAT. */
    private long pings() {
        Matcher m = PING_CALLS.matcher(redis.execute("INFO", "commandstats").toString());
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    @Test
    void reconnectsDoNotMultiplyTheWatchLoop() {
        publish(alpha("alpha_"));
        await().atMost(Duration.ofSeconds(20)).until(() -> McpClient.initialize().toolNames().contains("alpha_echo"));

        for (int i = 0; i < 4; i++) {
            Set<Long> killed = pubsubConnections();
            redis.execute("CLIENT", "KILL", "TYPE", "pubsub");
            // subscribed again, on another connection (the pool may hand out one that already existed)
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                Set<Long> now = pubsubConnections();
                return !now.isEmpty() && now.stream().noneMatch(killed::contains);
            });
        }
        // re-subscribed for real: a config published now is applied
        publish(alpha("a_"));
        await().atMost(Duration.ofSeconds(20)).until(() -> McpClient.initialize().toolNames().contains("a_echo"));

        // one loop: about one PING a second (five loops would send about five)
        redis.execute("CONFIG", "RESETSTAT");
        await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(6)).until(() -> pings() <= 6);
        // and the loop is still alive
        await().atMost(Duration.ofSeconds(5)).until(() -> pings() >= 1);
    }
}
