package dev.manifold.broker.gateway;

import dev.manifold.broker.settings.BrokerConfig;
import dev.manifold.contracts.GatewayConfig;
import dev.manifold.contracts.RedisNames;
import dev.manifold.runtime.GatewayConfigFeed;
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

/**
 * Kubernetes-mode config source: the canonical config the controller publishes, followed with the shared
 * {@link GatewayConfigFeed} ({@code <prefix>:config}, the {@code manifold-config} ConfigMap as fallback, re-read on
 * every hint, (re)subscription and resync, applied only when newer). It only ever reads: the broker never writes its
 * config source.
 */
@ApplicationScoped
public class RedisConfigSource {
    private static final Logger LOG = Logger.getLogger(RedisConfigSource.class);

    private final BrokerConfig config;
    private final RedisNames names;
    private final RedisChannels channels;
    private final GatewayConfigFeed feed;

    public RedisConfigSource(BrokerConfig config, ConfigApplier applier, Vertx vertx, ReactiveRedisDataSource redis,
                             Instance<KubernetesClient> kubernetes, RedisChannels channels, MeterRegistry registry) {
        this.config = config;
        this.channels = channels;
        this.names = new RedisNames(config.redisPrefix());
        Counter rejected = Counter.builder("manifold.broker.config.rejected")
                .description("Config documents rejected as invalid (the last good config stays in force)")
                .register(registry);
        this.feed = new GatewayConfigFeed(redis, vertx, channels.subscription(), kubernetes::get,
                new GatewayConfigFeed.Settings(names, config.connectTimeout(), config.configResyncInterval(),
                        config.configMapNamespace(), config.configMapName()),
                "broker", new GatewayConfigFeed.Listener() {
                    @Override
                    public void apply(GatewayConfig next, String from) {
                        if (applier.apply(next).applied()) {
                            LOG.infof("Config %s (generation %d) from %s", next.version(), next.generation(), from);
                        }
                    }

                    @Override
                    public void rejected(String message) {
                        rejected.increment();
                    }
                });
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
        return feed.lastError();
    }

    /** Starts once the HTTP server is up (see {@link StandaloneConfigSource}). */
    void start(@ObservesAsync HttpServerStart event) {
        if (!active()) {
            return;
        }
        LOG.infof("Kubernetes mode: config from Redis key %s (channel %s), ConfigMap %s as fallback",
                names.configKey(), names.configChangedChannel(), config.configMapName());
        feed.start();
        channels.start();
    }

    void stop(@Observes ShutdownEvent event) {
        feed.stop();
    }
}
