package dev.manifold.broker.health;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.manifold.broker.upstream.Backend;
import dev.manifold.broker.upstream.BackendState;
import dev.manifold.broker.upstream.BackendSupervisor;
import dev.manifold.broker.settings.BrokerConfig;
import dev.manifold.broker.gateway.RedisConfigSource;
import dev.manifold.broker.gateway.RedisChannels;
import dev.manifold.contracts.RedisNames;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Publishes each backend's health to {@code <prefix>:health:<serverId>} and announces it on
 * {@code <prefix>:health-changed} (payload: the server id), only when the state or the served tool count
 * changes. The controller mirrors it into the MCPServer status. Runtime state only: it never touches config.
 * The value is JSON: {@code {"state":"Ready|Pending|Unhealthy|Quarantined","tools":N,"message":"...","since":ms}}.
 * A removed backend's key is deleted. Everything is published again after each Redis (re)subscription.
 * Kubernetes mode only (standalone mode has no Redis).
 */
@ApplicationScoped
public class HealthPublisher {
    private static final Logger LOG = Logger.getLogger(HealthPublisher.class);

    private final ReactiveRedisDataSource redis;
    private final RedisConfigSource source;
    private final ObjectMapper mapper;
    private final RedisNames names;
    private final Map<String, String> lastPublished = new ConcurrentHashMap<>();

    public HealthPublisher(BackendSupervisor supervisor, ReactiveRedisDataSource redis, RedisConfigSource source,
                           ObjectMapper mapper, BrokerConfig config, RedisChannels channels) {
        this.redis = redis;
        this.source = source;
        this.mapper = mapper;
        this.names = new RedisNames(config.redisPrefix());
        supervisor.onHealthChanged(this::publish);
        // After every (re)subscription, which includes Redis coming back: publish every backend's health again,
        // so a write lost while Redis was away is not stale for good.
        channels.onSubscribed(() -> {
            lastPublished.clear();
            supervisor.all().forEach(this::publish);
        });
    }

    void init(@Observes StartupEvent event) {
        // Eager bean: listens from the start.
    }

    /** The value stored for a backend's health. */
    public static String stateName(BackendState state) {
        String label = state.label();
        return Character.toUpperCase(label.charAt(0)) + label.substring(1);
    }

    void publish(Backend backend) {
        if (!source.active()) {
            return;
        }
        String id = backend.id();
        if (backend.isClosed()) {
            if (lastPublished.remove(id) != null) {
                redis.key(String.class).del(names.healthKey(id))
                        .chain(() -> redis.pubsub(String.class).publish(names.healthChangedChannel(), id))
                        .subscribe().with(v -> {
                        }, failure -> LOG.debugf("Could not delete health of %s: %s", id, failure.getMessage()));
            }
            return;
        }
        int tools = backend.state() == BackendState.READY ? backend.tools().size() : 0;
        String fingerprint = backend.state() + "/" + tools;
        if (fingerprint.equals(lastPublished.put(id, fingerprint))) {
            return;
        }
        ObjectNode value = mapper.createObjectNode();
        value.put("state", stateName(backend.state()));
        value.put("tools", tools);
        if (backend.lastError() != null) {
            value.put("message", backend.lastError());
        }
        value.put("since", backend.stateSince());
        redis.value(String.class).set(names.healthKey(id), value.toString())
                .chain(() -> redis.pubsub(String.class).publish(names.healthChangedChannel(), id))
                .subscribe().with(v -> {
                }, failure -> {
                    lastPublished.remove(id, fingerprint); // try again on the next change
                    LOG.debugf("Could not publish health of %s: %s", id, failure.getMessage());
                });
    }
}
