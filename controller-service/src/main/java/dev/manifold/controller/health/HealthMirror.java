package dev.manifold.controller.health;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.manifold.contracts.RedisNames;
import dev.manifold.controller.config.ControllerConfig;
import dev.manifold.controller.reconciler.ReconcileTrigger;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.pubsub.ReactivePubSubCommands;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.Optional;

/**
 * Mirrors the broker-reported health of each server into its status. Reads {@code <prefix>:health:<id>} when a
 * server is reconciled and asks for a reconcile when {@code <prefix>:health-changed} names a server. It never
 * writes to Redis: health belongs to the broker.
 */
@ApplicationScoped
public class HealthMirror {

    private static final Logger LOG = Logger.getLogger(HealthMirror.class);
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

    private final RedisDataSource redis;
    private final ReactiveRedisDataSource reactive;
    private final RedisNames names;
    private final ReconcileTrigger trigger;
    private volatile ReactivePubSubCommands.ReactiveRedisSubscriber subscriber;

    public HealthMirror(RedisDataSource redis, ReactiveRedisDataSource reactive, ControllerConfig config,
                        ReconcileTrigger trigger) {
        this.redis = redis;
        this.reactive = reactive;
        this.names = new RedisNames(config.redisPrefix());
        this.trigger = trigger;
    }

    /**
     * Subscribes to the health-changed channel; each message (a server id) re-reconciles that server. If Redis is
     * unreachable it keeps retrying with backoff; meanwhile health is still read on every reconcile and resync.
     */
    public void start() {
        reactive.pubsub(String.class).subscribe(names.healthChangedChannel(), this::onHealthChanged)
                .onFailure().invoke(e -> LOG.warnf("cannot subscribe to %s yet: %s", names.healthChangedChannel(),
                        e.getMessage()))
                .onFailure().retry().withBackOff(Duration.ofSeconds(1), Duration.ofSeconds(30)).indefinitely()
                .subscribe().with(s -> subscriber = s,
                        e -> LOG.errorf("gave up subscribing to %s: %s", names.healthChangedChannel(), e.getMessage()));
    }

    /** Redis could not be read; the status keeps the health it last showed rather than guessing. */
    public static class HealthUnavailableException extends RuntimeException {
        HealthUnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private void onHealthChanged(String serverId) {
        int slash = serverId == null ? -1 : serverId.indexOf('/');
        if (slash < 1) {
            LOG.debugf("ignoring health-changed message '%s': not a namespace/name id", serverId);
            return;
        }
        trigger.reconcile(serverId.substring(0, slash), serverId.substring(slash + 1));
    }

    /**
     * The broker's current record for a server, blocking (call from reconciler threads only). Empty when the
     * broker has not reported yet; a malformed record is logged and treated as absent.
     *
     * @throws HealthUnavailableException when Redis cannot be read, so the caller keeps what it last observed
     */
    public Optional<BackendHealth> read(String serverId) {
        String json;
        try {
            json = redis.value(String.class).get(names.healthKey(serverId));
        } catch (RuntimeException e) {
            throw new HealthUnavailableException("cannot read " + names.healthKey(serverId) + ": " + e.getMessage(), e);
        }
        if (json == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(MAPPER.readValue(json, BackendHealth.class));
        } catch (Exception e) {
            LOG.warnf("ignoring malformed health record for %s: %s", serverId, e.getMessage());
            return Optional.empty();
        }
    }

    @PreDestroy
    void stop() {
        ReactivePubSubCommands.ReactiveRedisSubscriber s = subscriber;
        if (s != null) {
            s.unsubscribe().onFailure().recoverWithUni(Uni.createFrom().voidItem()).await().indefinitely();
        }
    }
}
