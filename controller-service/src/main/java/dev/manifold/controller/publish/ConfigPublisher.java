package dev.manifold.controller.publish;

import dev.manifold.contracts.GatewayConfigMap;
import dev.manifold.contracts.GatewayConfig;
import dev.manifold.contracts.GatewayConfigCodec;
import dev.manifold.contracts.PrefixMode;
import dev.manifold.contracts.RedisNames;
import dev.manifold.contracts.ServerEntry;
import dev.manifold.controller.api.v1alpha1.MCPServer;
import dev.manifold.controller.api.v1alpha1.MCPServerStatus;
import dev.manifold.controller.claims.Claims;
import dev.manifold.controller.claims.ServerIndex;
import dev.manifold.controller.validation.SpecValidation;
import dev.manifold.controller.config.ControllerConfig;
import dev.manifold.controller.config.InstallNamespace;
import dev.manifold.controller.api.v1alpha1.ConditionReasons;
import dev.manifold.controller.trigger.ReconcileTrigger;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.redis.datasource.RedisDataSource;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Owns the canonical {@link GatewayConfig}: builds it from every accepted, enabled MCPServer that wins its
 * prefix, and publishes it (ConfigMap {@code manifold-config}, {@code SET <prefix>:config},
 * {@code PUBLISH <prefix>:config-changed <version>}) only when its content differs from what is already
 * stored. Runs on one thread, debounced, so a burst of changes publishes once. It never writes an MCPServer:
 * when a server's status disagrees with the claims it asks the reconciler to look again.
 */
@ApplicationScoped
public class ConfigPublisher {

    private static final Logger LOG = Logger.getLogger(ConfigPublisher.class);
    public static final String VERSION_ANNOTATION = "mcp.manifold.dev/config-version";
    public static final String PUBLISHES_METRIC = "manifold_controller_config_publishes_total";
    public static final String FAILURES_METRIC = "manifold_controller_config_publish_failures_total";
    public static final String PUBLISHED_INFO_METRIC = "manifold_controller_config_published_info";

    private final KubernetesClient client;
    private final RedisDataSource redis;
    private final ServerIndex index;
    private final ReconcileTrigger trigger;
    private final ControllerConfig config;
    private final RedisNames names;
    private final PrefixMode mode;
    private final Counter publishes;
    private final Counter failures;
    /** {@code manifold_controller_config_published_info{version}}: one row, for the version last stored. */
    private final MultiGauge publishedInfo;
    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "manifold-config-publisher");
        t.setDaemon(true);
        return t;
    });
    private ScheduledFuture<?> pending;
    private volatile GatewayConfig published;
    private volatile boolean verifyStored = true;
    private final String namespace;

    public ConfigPublisher(KubernetesClient client, RedisDataSource redis, ServerIndex index, ReconcileTrigger trigger,
                           ControllerConfig config, InstallNamespace installNamespace, MeterRegistry registry) {
        this.namespace = installNamespace.get();
        this.client = client;
        this.redis = redis;
        this.index = index;
        this.trigger = trigger;
        this.config = config;
        this.names = new RedisNames(config.redisPrefix());
        this.mode = config.mode();
        this.publishedInfo = MultiGauge.builder(PUBLISHED_INFO_METRIC)
                .description("1, labelled with the GatewayConfig version stored in the ConfigMap and Redis")
                .register(registry);
        this.failures = Counter.builder(FAILURES_METRIC)
                .description("Attempts to store the GatewayConfig that failed (retried after 2 s)").register(registry);
        this.publishes = Counter.builder(PUBLISHES_METRIC)
                .description("GatewayConfig versions written to the ConfigMap and Redis").register(registry);
    }

    /** Starts watching MCPServers and publishes (or confirms) the current config once. */
    public void start() {
        index.onChange(this::requestPublish);
        index.start();
        requestPublish();
        long resync = config.resyncInterval().toMillis();
        executor.scheduleWithFixedDelay(this::resyncNow, resync, resync, TimeUnit.MILLISECONDS);
    }

    /** The namespace of the ConfigMap. */
    public String namespace() {
        return namespace;
    }

    /** The last config known to be stored in the ConfigMap and Redis, if any. */
    public Optional<GatewayConfig> published() {
        return Optional.ofNullable(published);
    }

    /** Asks for a rebuild after the debounce time; repeated requests within it coalesce into one. */
    public synchronized void requestPublish() {
        if (pending != null && !pending.isDone()) {
            return;
        }
        pending = executor.schedule(this::publishNow, config.publishDebounce().toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Level-triggered safety net, also what a restart does: compares the stored config (ConfigMap and Redis) with
     * the one built now and rewrites only what drifted, then re-reconciles every server (health, targets).
     */
    public void resync() {
        try {
            executor.submit(this::resyncNow).get(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("resync failed", e);
        }
    }

    private void resyncNow() {
        verifyStored = true;
        publishNow();
        for (MCPServer s : index.all()) {
            trigger.reconcile(s.getMetadata().getNamespace(), s.getMetadata().getName());
        }
    }

    /** Builds the config from the current view and writes it where it differs. Runs on the publisher thread. */
    private void publishNow() {
        synchronized (this) {
            pending = null;
        }
        try {
            List<MCPServer> servers = index.all();
            Map<String, String> losers = Claims.losers(servers, mode);
            GatewayConfig next = build(servers, losers);
            if (verifyStored || published == null || !next.version().equals(published.version())) {
                write(next);
                verifyStored = false;
            }
            askForStaleClaims(servers, losers);
        } catch (RuntimeException e) {
            failures.increment();
            LOG.warnf("publishing the gateway config failed, retrying in 2s: %s", e.getMessage());
            LOG.debug("publish failure", e);
            verifyStored = true;
            executor.schedule(this::publishNow, 2, TimeUnit.SECONDS);
        }
    }

    private GatewayConfig build(List<MCPServer> servers, Map<String, String> losers) {
        GatewayConfig previous = published;
        List<ServerEntry> entries = new ArrayList<>();
        for (MCPServer s : servers) {
            if (s.getMetadata().getDeletionTimestamp() != null || losers.containsKey(s.id())
                    || s.getSpec() == null || Boolean.FALSE.equals(s.getSpec().getEnabled())
                    || !SpecValidation.problems(s.getSpec(), mode).isEmpty()) {
                continue;
            }
            MCPServerStatus status = s.getStatus();
            Optional<Condition> accepted = status == null ? Optional.empty() : status.condition(MCPServerStatus.ACCEPTED);
            if (accepted.isEmpty() || !"True".equals(accepted.get().getStatus())) {
                continue;
            }
            if (!Objects.equals(accepted.get().getObservedGeneration(), s.getMetadata().getGeneration())) {
                // The spec changed and has not been reconciled yet: keep what was published until it is.
                if (previous != null) {
                    previous.server(s.id()).ifPresent(entries::add);
                }
                continue;
            }
            try {
                entries.add(ConfigEntries.entry(s, status.getUrl()));
            } catch (RuntimeException e) {
                LOG.warnf("leaving %s out of the config: %s", s.id(), e.getMessage());
            }
        }
        return GatewayConfigCodec.build(mode, entries);
    }

    private void write(GatewayConfig content) {
        ConfigMap current = client.configMaps().inNamespace(namespace).withName(config.configMapName()).get();
        String storedMapJson = current == null || current.getData() == null ? null : current.getData().get(GatewayConfigMap.KEY);
        String stored = storedInRedis();
        GatewayConfig next = content.withGeneration(generationFor(content, storedMapJson, stored));
        String json = new String(GatewayConfigCodec.toJson(next), StandardCharsets.UTF_8);
        boolean wrote = false;
        // The ConfigMap first: a consumer that falls back to it while Redis is down never finds it older than Redis.
        if (current == null) {
            client.configMaps().inNamespace(namespace).resource(configMap(null, json, next.version())).create();
            wrote = true;
        } else if (!json.equals(storedMapJson)
                || !next.version().equals(current.getMetadata().getAnnotations() == null ? null
                : current.getMetadata().getAnnotations().get(VERSION_ANNOTATION))) {
            client.configMaps().inNamespace(namespace).resource(configMap(current, json, next.version())).update();
            wrote = true;
        }
        if (stored == null || !json.equals(stored)) {
            redis.value(String.class).set(names.configKey(), json); // fails while Redis is down: retried
            wrote = true;
        }
        if (wrote) {
            // Counted before it is announced: whoever hears the announcement sees the publish counted.
            publishes.increment();
            redis.pubsub(String.class).publish(names.configChangedChannel(), next.version());
            LOG.infof("published config %s (generation %d) with %d servers", next.version(), next.generation(),
                    next.servers().size());
        } else {
            LOG.debugf("config %s already stored; nothing written", next.version());
        }
        if (published == null || !published.version().equals(next.version())) {
            // overwrite: the previous version's row is removed, so there is always exactly one series
            publishedInfo.register(List.of(MultiGauge.Row.of(
                    Tags.of("version", next.version()), 1)), true);
        }
        published = next;
    }

    /**
     * The generation to publish {@code content} with. The same content as the newest stored copy keeps that copy's
     * generation, so rewriting a drifted store is not a new publication and consumers never see the same content as
     * "newer". New content gets a generation above every one stored or published before (and at least the clock).
     */
    private long generationFor(GatewayConfig content, String... storedJson) {
        GatewayConfig newest = published;
        for (String json : storedJson) {
            GatewayConfig copy = readQuietly(json);
            if (copy != null && (newest == null || copy.generation() > newest.generation())) {
                newest = copy;
            }
        }
        if (newest != null && newest.generation() > 0 && newest.version().equals(content.version())) {
            return newest.generation();
        }
        return GatewayConfig.nextGeneration(newest == null ? 0 : newest.generation(), System.currentTimeMillis());
    }

    /**
     * The copy in Redis, or null when there is none or Redis cannot be read: the ConfigMap is still written then,
     * and the Redis write that follows fails and is retried.
     */
    private String storedInRedis() {
        try {
            return redis.value(String.class).get(names.configKey());
        } catch (RuntimeException e) {
            LOG.debugf("reading %s failed: %s", names.configKey(), e.getMessage());
            return null;
        }
    }

    /** A stored copy, or null when there is none or it does not parse (it is overwritten either way). */
    private static GatewayConfig readQuietly(String json) {
        if (json == null) {
            return null;
        }
        try {
            return GatewayConfigCodec.parse(json.getBytes(StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            LOG.debugf("stored GatewayConfig unreadable, it will be overwritten: %s", e.getMessage());
            return null;
        }
    }

    private ConfigMap configMap(ConfigMap current, String json, String version) {
        ConfigMapBuilder b = current == null ? new ConfigMapBuilder() : new ConfigMapBuilder(current);
        return b.editOrNewMetadata()
                .withName(config.configMapName()).withNamespace(namespace)
                .addToLabels("app.kubernetes.io/managed-by", "manifold")
                .addToLabels("app.kubernetes.io/part-of", "manifold")
                .addToAnnotations(VERSION_ANNOTATION, version)
                .endMetadata()
                .withData(Map.of(GatewayConfigMap.KEY, json))
                .build();
    }

    /**
     * A server whose status (at its current generation) disagrees with the claims gets reconciled again,
     * e.g. the loser of a prefix whose winner was just deleted.
     */
    private void askForStaleClaims(List<MCPServer> servers, Map<String, String> losers) {
        for (MCPServer s : servers) {
            MCPServerStatus status = s.getStatus();
            if (status == null) {
                continue;
            }
            Optional<Condition> accepted = status.condition(MCPServerStatus.ACCEPTED);
            if (accepted.isEmpty() || !Objects.equals(accepted.get().getObservedGeneration(), s.getMetadata().getGeneration())) {
                continue;
            }
            String winner = losers.get(s.id());
            boolean saysConflict = ConditionReasons.PREFIX_CONFLICT.equals(accepted.get().getReason());
            boolean stale = winner == null ? saysConflict
                    : !saysConflict || accepted.get().getMessage() == null || !accepted.get().getMessage().contains("'" + winner + "'");
            if (stale) {
                trigger.reconcile(s.getMetadata().getNamespace(), s.getMetadata().getName());
            }
        }
    }

    @PreDestroy
    void stop() {
        executor.shutdownNow();
    }
}
