package dev.manifold.broker.gateway;

import dev.manifold.broker.settings.BrokerConfig;
import dev.manifold.contracts.GatewayConfigMap;
import dev.manifold.contracts.ConfigValidationException;
import dev.manifold.contracts.GatewayConfig;
import dev.manifold.contracts.GatewayConfigCodec;
import dev.manifold.contracts.RedisNames;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.vertx.http.HttpServerStart;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.ObservesAsync;
import jakarta.enterprise.inject.Instance;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;

/**
 * Kubernetes-mode config source: the canonical config the controller publishes. On start it reads
 * {@code <prefix>:config}, falling back to the {@code manifold-config} ConfigMap; it subscribes to
 * {@code <prefix>:config-changed} and re-reads on every message, after every (re)subscription and on a slow
 * periodic resync, because pub/sub is at-most-once. A version equal to the applied one changes nothing. It only
 * ever reads: the broker never writes its config source.
 */
@ApplicationScoped
public class RedisConfigSource {
    private static final Logger LOG = Logger.getLogger(RedisConfigSource.class);

    private final BrokerConfig config;
    private final ConfigApplier applier;
    private final Vertx vertx;
    private final ReactiveRedisDataSource redis;
    private final Instance<KubernetesClient> kubernetes;
    private final RedisNames names;
    private final Counter rejected;
    private final RedisChannels channels;
    private volatile String lastError;
    private volatile long resyncTimer = -1;

    public RedisConfigSource(BrokerConfig config, ConfigApplier applier, Vertx vertx, ReactiveRedisDataSource redis,
                             Instance<KubernetesClient> kubernetes, RedisChannels channels, MeterRegistry registry) {
        this.channels = channels;
        this.config = config;
        this.applier = applier;
        this.vertx = vertx;
        this.redis = redis;
        this.kubernetes = kubernetes;
        this.names = new RedisNames(config.redisPrefix());
        this.rejected = Counter.builder("manifold.broker.config.rejected")
                .description("Config documents rejected as invalid (the last good config stays in force)")
                .register(registry);
        channels.on(names.configChangedChannel(), version -> {
            GatewayConfig applied = applier.applied();
            if (applied == null || !applied.version().equals(version)) {
                load("config-changed " + version);
            }
        });
        channels.onSubscribed(() -> load("subscribed")); // anything published while we were not listening
    }

    /** Kubernetes mode is on when no standalone config file is set. */
    public boolean active() {
        return config.configFile().isEmpty();
    }

    /** Whether the config-changed subscription is currently established. */
    public boolean redisUp() {
        return channels.up();
    }

    public String lastError() {
        return lastError;
    }

    /** Starts once the HTTP server is up (see {@link StandaloneConfigSource}). */
    void start(@ObservesAsync HttpServerStart event) {
        if (!active()) {
            return;
        }
        LOG.infof("Kubernetes mode: config from Redis key %s (channel %s), ConfigMap %s as fallback",
                names.configKey(), names.configChangedChannel(), config.configMapName());
        channels.start();
        long resync = Math.max(1000, config.configResyncInterval().toMillis());
        resyncTimer = vertx.setPeriodic(resync, t -> load("resync"));
    }

    void stop(@Observes ShutdownEvent event) {
        if (resyncTimer >= 0) {
            vertx.cancelTimer(resyncTimer);
        }
    }

    /** Reads the config from Redis (or the ConfigMap when Redis has none or is down) and applies it. */
    void load(String why) {
        redis.value(String.class).get(names.configKey())
                .ifNoItem().after(config.connectTimeout()).fail()
                .subscribe().with(
                        json -> {
                            if (json == null) {
                                loadFromConfigMap(why + ", no " + names.configKey() + " in Redis");
                            } else {
                                apply(json.getBytes(StandardCharsets.UTF_8), "Redis (" + why + ")");
                            }
                        },
                        failure -> loadFromConfigMap(why + ", Redis unavailable: " + failure.getMessage()));
    }

    private void loadFromConfigMap(String why) {
        if (applier.applied() != null && why.contains("Redis unavailable")) {
            return; // keep what we have; the subscription retry re-reads when Redis is back
        }
        vertx.executeBlocking(() -> {
            KubernetesClient client = kubernetes.get();
            String namespace = config.configMapNamespace().orElseGet(client::getNamespace);
            ConfigMap map = client.configMaps().inNamespace(namespace).withName(config.configMapName()).get();
            return map == null || map.getData() == null ? null : map.getData().get(GatewayConfigMap.KEY);
        }, false).onComplete(result -> {
            if (result.failed()) {
                note("no config yet: " + why + "; ConfigMap unreadable: " + result.cause().getMessage());
            } else if (result.result() == null) {
                note("no config yet: " + why + "; ConfigMap " + config.configMapName() + " has no " + GatewayConfigMap.KEY);
            } else {
                apply(result.result().getBytes(StandardCharsets.UTF_8), "ConfigMap (" + why + ")");
            }
        });
    }

    private void apply(byte[] json, String from) {
        GatewayConfig next;
        try {
            next = GatewayConfigCodec.parse(json);
        } catch (ConfigValidationException e) {
            String message = "invalid config from " + from + ": " + e.getMessage();
            if (!message.equals(lastError)) {
                rejected.increment();
                LOG.error(message + (applier.applied() == null ? "" : "; keeping " + applier.applied().version()));
            }
            lastError = message;
            return;
        }
        lastError = null;
        if (applier.apply(next).applied()) {
            LOG.infof("Config %s from %s", next.version(), from);
        }
    }

    private void note(String message) {
        if (!message.equals(lastError)) {
            LOG.warn(message);
        }
        lastError = message;
    }

}
