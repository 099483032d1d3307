package dev.manifold.controller.health;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.manifold.contracts.RedisNames;
import dev.manifold.controller.api.v1alpha1.MCPServer;
import dev.manifold.controller.claims.ServerIndex;
import dev.manifold.controller.config.ControllerConfig;
import dev.manifold.controller.trigger.ReconcileTrigger;
import io.quarkus.redis.datasource.RedisDataSource;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.RedisConnection;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Response;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Mirrors the broker-reported health of each server into its status. Reads {@code <prefix>:health:<id>} when a
 * server is reconciled and asks for a reconcile when {@code <prefix>:health-changed} names a server. The
 * subscription runs on its own connection and is re-established (with backoff) whenever that connection ends;
 * after every (re)subscribe all servers are re-reconciled, because messages sent meanwhile are lost. It never
 * writes to Redis: health belongs to the broker.
 */
@ApplicationScoped
public class HealthMirror {

    private static final Logger LOG = Logger.getLogger(HealthMirror.class);
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();
    private static final long MIN_BACKOFF_MS = 500;
    private static final long MAX_BACKOFF_MS = 30_000;

    private final RedisDataSource redis;
    private final Redis client;
    private final Vertx vertx;
    private final RedisNames names;
    private final ReconcileTrigger trigger;
    private final ServerIndex index;
    private volatile RedisConnection connection;
    private volatile boolean stopped;
    private long backoff = MIN_BACKOFF_MS;
    private boolean everSubscribed;

    public HealthMirror(RedisDataSource redis, Redis client, Vertx vertx, ControllerConfig config,
                        ReconcileTrigger trigger, ServerIndex index) {
        this.redis = redis;
        this.client = client;
        this.vertx = vertx;
        this.names = new RedisNames(config.redisPrefix());
        this.trigger = trigger;
        this.index = index;
    }

    /** Subscribes to the health-changed channel; each message (a server id) re-reconciles that server. */
    public void start() {
        subscribe();
    }

    private void subscribe() {
        if (stopped) {
            return;
        }
        client.connect().subscribe().with(conn -> {
            AtomicBoolean lost = new AtomicBoolean();
            Runnable onLost = () -> {
                if (lost.compareAndSet(false, true)) {
                    LOG.warnf("lost the %s subscription; resubscribing", names.healthChangedChannel());
                    conn.closeAndForget();
                    retryLater();
                }
            };
            conn.handler(this::onPush);
            conn.exceptionHandler(e -> onLost.run());
            conn.endHandler(onLost);
            conn.send(Request.cmd(Command.SUBSCRIBE).arg(names.healthChangedChannel())).subscribe().with(ok -> {
                connection = conn;
                synchronized (this) {
                    backoff = MIN_BACKOFF_MS;
                }
                if (everSubscribed) {
                    // Messages published while we were away are gone: re-read every server's health.
                    for (MCPServer s : index.all()) {
                        trigger.reconcile(s.getMetadata().getNamespace(), s.getMetadata().getName());
                    }
                }
                everSubscribed = true;
                LOG.debugf("subscribed to %s", names.healthChangedChannel());
            }, e -> onLost.run());
        }, e -> {
            LOG.warnf("cannot subscribe to %s yet: %s", names.healthChangedChannel(), e.getMessage());
            retryLater();
        });
    }

    private void retryLater() {
        if (stopped) {
            return;
        }
        long delay;
        synchronized (this) {
            delay = backoff;
            backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
        }
        vertx.setTimer(delay, id -> subscribe());
    }

    private void onPush(Response push) {
        // RESP2 pub/sub frames are [message, channel, payload]; subscribe confirmations are ignored.
        if (push == null || push.size() < 3 || !"message".equals(String.valueOf(push.get(0)))) {
            return;
        }
        onHealthChanged(String.valueOf(push.get(2)));
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
        stopped = true;
        RedisConnection c = connection;
        if (c != null) {
            c.closeAndForget();
        }
    }
}
