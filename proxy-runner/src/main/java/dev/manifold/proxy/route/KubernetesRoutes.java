package dev.manifold.proxy.route;

import dev.manifold.contracts.GatewayConfig;
import dev.manifold.contracts.GatewayConfigCodec;
import dev.manifold.contracts.RedisNames;
import dev.manifold.runtime.GatewayConfigFeed;
import dev.manifold.runtime.HintSubscription;
import dev.manifold.runtime.Informers;
import dev.manifold.contracts.ServerEntry;
import dev.manifold.contracts.Workload;
import dev.manifold.proxy.ProxyConfig;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import org.jboss.logging.Logger;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Kubernetes mode (no routes file): owns the route table, built from the published {@link GatewayConfig} (entries
 * with a {@code workload}) and the EndpointSlices of each workload's headless Service, watched with fabric8
 * informers. The config is followed with the shared {@link GatewayConfigFeed}: Redis ({@code <prefix>:config}) on
 * start, on every {@code <prefix>:config-changed} hint, after every (re)subscription and on a periodic resync, the
 * ConfigMap as fallback, applied only when newer.
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
    private volatile HintSubscription subscription;
    private volatile GatewayConfigFeed feed;
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
        RedisNames names = new RedisNames(config.redisPrefix());
        HintSubscription hints = new HintSubscription(redis.get(), vertx, new HintSubscription.Settings(
                Duration.ofSeconds(2), config.configResync().dividedBy(4), Duration.ofMillis(500), Duration.ofSeconds(10)),
                "proxy-runner");
        GatewayConfigFeed configs = new GatewayConfigFeed(redis.get(), vertx, hints, kubernetes::get,
                new GatewayConfigFeed.Settings(names, config.redisTimeout().multipliedBy(4), config.configResync(),
                        config.configMapNamespace(), config.configMapName()),
                "proxy-runner", (next, from) -> {
                    synchronized (this) {
                        if (!stopping) {
                            apply(next);
                            LOG.infof("Applied GatewayConfig %s (generation %d) from %s: %d workload routes",
                                    next.version(), next.generation(), from, watched.size());
                        }
                    }
                });
        subscription = hints;
        feed = configs;
        configs.start();
        hints.start();
    }

    void stop(@Observes ShutdownEvent event) {
        synchronized (this) {
            stopping = true;
        }
        GatewayConfigFeed configs = feed;
        if (configs != null) {
            configs.stop();
        }
        HintSubscription hints = subscription;
        if (hints != null) {
            hints.stop();
        }
        watched.values().forEach(w -> w.informer().close());
        watched.clear();
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
        GatewayConfigFeed configs = feed;
        GatewayConfig applied = configs == null ? null : configs.delivered();
        return applied == null ? null : applied.version();
    }

    /** Where the applied config was read: {@code redis} or {@code configmap}. */
    public String source() {
        GatewayConfigFeed configs = feed;
        return configs == null ? null : configs.source();
    }

    public String lastError() {
        GatewayConfigFeed configs = feed;
        return configs == null ? null : configs.lastError();
    }

    /** Whether every workload informer has completed its initial list. */
    public boolean informersSynced() {
        return watched.values().stream().allMatch(w -> w.informer().hasSynced());
    }
}
