package dev.manifold.proxy.route;

import dev.manifold.contracts.GatewayConfigMap;
import dev.manifold.contracts.GatewayConfig;
import dev.manifold.contracts.GatewayConfigCodec;
import dev.manifold.contracts.RedisNames;
import dev.manifold.runtime.HintSubscription;
import dev.manifold.runtime.Informers;
import dev.manifold.contracts.ServerEntry;
import dev.manifold.contracts.Workload;
import dev.manifold.proxy.ProxyConfig;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.core.Vertx;
import io.vertx.mutiny.redis.client.Response;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import org.jboss.logging.Logger;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Kubernetes mode (no routes file): owns the route table, built from the published {@link GatewayConfig} (entries
 * with a {@code workload}) and the EndpointSlices of each workload's headless Service, watched with fabric8
 * informers. The config is read from Redis ({@code <prefix>:config}) on start, on every
 * {@code <prefix>:config-changed} hint and on a periodic resync, falling back to the ConfigMap when Redis has none.
 * Ready pods are exactly the ready endpoints of the slices: replica counts are never used to guess pod names.
 * Never writes the config it reads.
 */
@ApplicationScoped
public class KubernetesRoutes {

    private static final Logger LOG = Logger.getLogger(KubernetesRoutes.class);
    static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";

    /** One watched workload: its config entry hash and the informer over its headless Service's slices. */
    private record Watched(String entryHash, Workload workload, SharedIndexInformer<EndpointSlice> informer) {
    }

    private final ProxyConfig config;
    private final RouteTable table;
    private final Instance<KubernetesClient> kubernetes;
    private final Instance<ReactiveRedisDataSource> redis;
    private final Vertx vertx;
    private final Map<String, Watched> watched = new java.util.concurrent.ConcurrentHashMap<>();
    private final Object publishLock = new Object();
    private RedisNames names;
    private volatile String version;
    private volatile String source;
    private volatile String lastError;
    private volatile HintSubscription subscription;
    private volatile boolean active;
    private volatile boolean stopping;

    public KubernetesRoutes(ProxyConfig config, RouteTable table, Instance<KubernetesClient> kubernetes,
                            Instance<ReactiveRedisDataSource> redis, Vertx vertx) {
        this.config = config;
        this.table = table;
        this.kubernetes = kubernetes;
        this.redis = redis;
        this.vertx = vertx;
    }

    void start(@Observes StartupEvent event) {
        if (config.routesFile().isPresent()) {
            return;
        }
        active = true;
        names = new RedisNames(config.redisPrefix());
        // Missed hints are covered by re-reading after every (re)subscription and by the periodic resync.
        HintSubscription hints = new HintSubscription(redis.get(), vertx, new HintSubscription.Settings(
                Duration.ofSeconds(2), config.configResync().dividedBy(4), Duration.ofMillis(500), Duration.ofSeconds(10)),
                "proxy-runner");
        hints.on(names.configChangedChannel(), changed -> Infrastructure.getDefaultWorkerPool().execute(this::resync));
        hints.onSubscribed(() -> Infrastructure.getDefaultWorkerPool().execute(this::resync));
        subscription = hints;
        hints.start();
        Infrastructure.getDefaultWorkerPool().execute(this::resync);
    }

    void stop(@Observes ShutdownEvent event) {
        stopping = true;
        HintSubscription hints = subscription;
        if (hints != null) {
            hints.stop();
        }
        watched.values().forEach(w -> w.informer().close());
        watched.clear();
    }

    @Scheduled(every = "${manifold.proxy.config-resync:60s}", delayed = "${manifold.proxy.config-resync:60s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void periodicResync() {
        if (active) {
            resync();
        }
    }

    /** Reads the current config (Redis, else ConfigMap) and applies it if its version changed. */
    synchronized void resync() {
        if (stopping) {
            return;
        }
        GatewayConfig next = null;
        String from = null;
        try {
            Response r = redis.get().execute("GET", names.configKey()).await().atMost(config.redisTimeout().multipliedBy(4));
            if (r != null) {
                next = GatewayConfigCodec.parse(r.toString().getBytes(StandardCharsets.UTF_8));
                from = "redis";
            }
        } catch (dev.manifold.contracts.ConfigValidationException e) {
            report("the GatewayConfig in " + names.configKey() + " is invalid, keeping the current routes: "
                    + e.getMessage());
            return;
        } catch (RuntimeException e) {
            LOG.debugf("Reading %s from Redis failed (%s); trying the ConfigMap", names.configKey(), e.toString());
        }
        if (next == null) {
            try {
                next = fromConfigMap();
                from = "configmap";
            } catch (RuntimeException e) {
                report("cannot read the GatewayConfig from Redis or the ConfigMap: " + e.getMessage());
                return;
            }
        }
        if (next == null) {
            report("no GatewayConfig published yet (neither " + names.configKey() + " nor ConfigMap "
                    + config.configMapName() + ")");
            return;
        }
        lastError = null;
        source = from;
        if (Objects.equals(next.version(), version)) {
            return;
        }
        apply(next);
        version = next.version();
        LOG.infof("Applied GatewayConfig %s from %s: %d workload routes", version, from, watched.size());
    }

    private GatewayConfig fromConfigMap() {
        KubernetesClient client = kubernetes.get();
        String namespace = config.configMapNamespace().orElse(client.getNamespace());
        ConfigMap map = client.configMaps().inNamespace(namespace).withName(config.configMapName()).get();
        if (map == null || map.getData() == null || map.getData().get(GatewayConfigMap.KEY) == null) {
            return null;
        }
        return GatewayConfigCodec.parse(map.getData().get(GatewayConfigMap.KEY).getBytes(StandardCharsets.UTF_8));
    }

    private void report(String error) {
        if (!error.equals(lastError)) {
            LOG.warn(error);
        }
        lastError = error;
    }

    /** Diffs by server id and entry hash: unchanged workloads keep their informer, others are replaced or closed. */
    private void apply(GatewayConfig next) {
        Map<String, ServerEntry> wanted = new LinkedHashMap<>();
        for (ServerEntry entry : next.servers()) {
            if (entry.workload() != null && entry.isEnabled()) {
                wanted.put(entry.id(), entry);
            }
        }
        for (String id : new ArrayList<>(watched.keySet())) {
            ServerEntry entry = wanted.get(id);
            if (entry == null || !GatewayConfigCodec.entryHash(entry).equals(watched.get(id).entryHash())) {
                watched.remove(id).informer().close();
            }
        }
        for (ServerEntry entry : wanted.values()) {
            if (!watched.containsKey(entry.id())) {
                watched.put(entry.id(), watch(entry));
            }
        }
        publish();
    }

    private Watched watch(ServerEntry entry) {
        Workload w = entry.workload();
        ResourceEventHandler<EndpointSlice> handler = Informers.onAnyChange(this::publish);
        SharedIndexInformer<EndpointSlice> informer = kubernetes.get().discovery().v1().endpointSlices()
                .inNamespace(w.namespace()).withLabel(SERVICE_NAME_LABEL, w.headlessService()).inform(handler, 0);
        return new Watched(GatewayConfigCodec.entryHash(entry), w, informer);
    }

    /** Rebuilds every route from the informers' caches and swaps the table. */
    private void publish() {
        synchronized (publishLock) {
            Map<String, Route> routes = new LinkedHashMap<>();
            for (Map.Entry<String, Watched> e : watched.entrySet()) {
                routes.put(e.getKey(), new Route(e.getKey(), readyPods(e.getValue().workload(),
                        e.getValue().informer().getStore().list())));
            }
            table.replace(routes);
        }
    }

    /**
     * The ready pods of a workload: every endpoint whose ready condition is not false, addressed by its pod DNS
     * name ({@code <hostname>.<headless>.<ns>.svc.<domain>}), or its address when the slice names no hostname.
     */
    List<PodTarget> readyPods(Workload workload, List<EndpointSlice> slices) {
        Map<String, PodTarget> pods = new LinkedHashMap<>();
        for (EndpointSlice slice : slices) {
            if (slice.getEndpoints() == null) {
                continue;
            }
            for (Endpoint endpoint : slice.getEndpoints()) {
                boolean ready = endpoint.getConditions() == null || endpoint.getConditions().getReady() == null
                        || endpoint.getConditions().getReady();
                String podName = endpoint.getTargetRef() != null && endpoint.getTargetRef().getName() != null
                        ? endpoint.getTargetRef().getName() : endpoint.getHostname();
                String host = endpoint.getHostname() != null
                        ? endpoint.getHostname() + "." + workload.headlessService() + "." + workload.namespace()
                        + ".svc." + config.clusterDomain()
                        : (endpoint.getAddresses() == null || endpoint.getAddresses().isEmpty() ? null
                        : endpoint.getAddresses().get(0));
                if (!ready || podName == null || host == null) {
                    continue;
                }
                String hostPart = host.contains(":") ? "[" + host + "]" : host;
                pods.putIfAbsent(podName, new PodTarget(podName,
                        URI.create("http://" + hostPart + ":" + workload.port() + workload.path())));
            }
        }
        List<PodTarget> list = new ArrayList<>(pods.values());
        list.sort(Comparator.comparing(PodTarget::name));
        return list;
    }

    /** Whether this source is in use (no routes file). */
    public boolean active() {
        return active;
    }

    /** The applied config version, or null before the first one. */
    public String version() {
        return version;
    }

    public String source() {
        return source;
    }

    public String lastError() {
        return lastError;
    }

    /** Whether every workload informer has completed its initial list. */
    public boolean informersSynced() {
        return watched.values().stream().allMatch(w -> w.informer().hasSynced());
    }
}
