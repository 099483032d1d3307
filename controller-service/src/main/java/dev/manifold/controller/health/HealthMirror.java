package dev.manifold.controller.health;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.manifold.contracts.RedisNames;
import dev.manifold.controller.api.v1alpha1.MCPServer;
import dev.manifold.controller.claims.ServerIndex;
import dev.manifold.controller.config.ControllerConfig;
import dev.manifold.controller.trigger.ReconcileTrigger;
import dev.manifold.runtime.HintSubscription;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.RedisDataSource;
import io.vertx.core.Vertx;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.Optional;

/**
 * Mirrors the broker-reported health of each server into its status. Reads {@code <prefix>:health:<id>} when a
 * server is reconciled and asks for a reconcile when {@code <prefix>:health-changed} names a server. The
 * subscription ({@link HintSubscription}) is re-established with backoff whenever Redis goes away; after every
 * re-subscription all servers are re-reconciled, because messages sent meanwhile are lost. It never
 * writes to Redis: health belongs to the broker.
 */
@ApplicationScoped
public class HealthMirror {

    private static final Logger LOG = Logger.getLogger(HealthMirror.class);
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();
    /** Reconnect backoff of the subscription, and how often a PING checks that Redis is still there. */
    private static final HintSubscription.Settings SUBSCRIPTION = new HintSubscription.Settings(
            Duration.ofSeconds(2), Duration.ofSeconds(15), Duration.ofMillis(500), Duration.ofSeconds(30));

    private final RedisDataSource redis;
    private final RedisNames names;
    private final ReconcileTrigger trigger;
    private final ServerIndex index;
    private final HintSubscription subscription;
    private volatile boolean everSubscribed;

    public HealthMirror(RedisDataSource redis, ReactiveRedisDataSource reactive, Vertx vertx, ControllerConfig config,
                        ReconcileTrigger trigger, ServerIndex index) {
        this.redis = redis;
        this.names = new RedisNames(config.redisPrefix());
        this.trigger = trigger;
        this.index = index;
        this.subscription = new HintSubscription(reactive, vertx, SUBSCRIPTION, "controller");
        subscription.on(names.healthChangedChannel(), this::onHealthChanged);
        subscription.onSubscribed(() -> {
            if (everSubscribed) {
                // Messages published while we were away are gone: re-read every server's health.
                for (MCPServer s : index.all()) {
                    trigger.reconcile(s.getMetadata().getNamespace(), s.getMetadata().getName());
                }
            }
            everSubscribed = true;
        });
    }

    /** Subscribes to the health-changed channel; each message (a server id) re-reconciles that server. */
    public void start() {
        subscription.start();
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

    /** Redis could not be read; the status keeps the health it last showed rather than guessing. */
    public static class HealthUnavailableException extends RuntimeException {
        HealthUnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    @PreDestroy
    void stop() {
        subscription.stop();
    }
}
