package dev.manifold.controller.claims;

import dev.manifold.contracts.PrefixMode;
import dev.manifold.controller.api.v1alpha1.MCPServer;
import dev.manifold.controller.config.ControllerConfig;
import dev.manifold.runtime.Informers;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A read-only view of every MCPServer (spec and status) in the watched namespaces (the MCPServer controller's
 * {@code quarkus.operator-sdk.controllers.mcpserver.namespaces}: all, or a list), indexed by claimed tool prefix. It
 * is the single source for claims and for the published config, and it tells listeners about every add,
 * update and delete (status changes included). It never writes anything.
 */
@ApplicationScoped
public class ServerIndex {

    private static final Logger LOG = Logger.getLogger(ServerIndex.class);
    private static final String BY_PREFIX = "prefix";

    private final KubernetesClient client;
    private final PrefixMode mode;
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private final Set<String> namespaces;
    private volatile List<SharedIndexInformer<MCPServer>> informers;

    public ServerIndex(KubernetesClient client, ControllerConfig config,
                       @ConfigProperty(name = "quarkus.operator-sdk.controllers.mcpserver.namespaces",
                               defaultValue = ALL_NAMESPACES) Set<String> namespaces) {
        this.client = client;
        this.mode = config.mode();
        this.namespaces = namespaces.contains(ALL_NAMESPACES) || namespaces.isEmpty() ? Set.of() : new TreeSet<>(namespaces);
    }

    /** JOSDK's token for "every namespace". */
    static final String ALL_NAMESPACES = "JOSDK_ALL_NAMESPACES";

    /** Calls {@code listener} (on the informer thread; it must not block) after any MCPServer change. */
    public void onChange(Runnable listener) {
        listeners.add(listener);
    }

    /** Starts watching and returns once the initial list is in the cache. */
    public synchronized void start() {
        if (informers != null) {
            return;
        }
        List<SharedIndexInformer<MCPServer>> started = new ArrayList<>();
        try {
            if (namespaces.isEmpty()) {
                started.add(startInformer(client.resources(MCPServer.class).inAnyNamespace().runnableInformer(0)));
            } else {
                for (String namespace : namespaces) {
                    started.add(startInformer(client.resources(MCPServer.class).inNamespace(namespace).runnableInformer(0)));
                }
            }
        } catch (RuntimeException e) {
            started.forEach(SharedIndexInformer::close);
            throw e;
        }
        informers = List.copyOf(started);
        LOG.infof("watching MCPServers in %s (%d present)", namespaces.isEmpty() ? "all namespaces" : namespaces, all().size());
    }

    private SharedIndexInformer<MCPServer> startInformer(SharedIndexInformer<MCPServer> inf) {
        inf.addIndexers(Map.of(BY_PREFIX, s -> Claims.claimedPrefix(s, mode).map(List::of).orElse(List.of())));
        inf.addEventHandler(Informers.onAnyChange(this::fire));
        try {
            inf.start().toCompletableFuture().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            inf.close();
            throw new IllegalStateException("cannot list MCPServers: " + e.getMessage(), e);
        }
        return inf;
    }

    /** Whether the initial list has been received and the watch is running. */
    public boolean isWatching() {
        List<SharedIndexInformer<MCPServer>> infs = informers;
        return infs != null && infs.stream().allMatch(inf -> inf.hasSynced() && inf.isWatching());
    }

    /** Every MCPServer currently known. */
    public List<MCPServer> all() {
        List<SharedIndexInformer<MCPServer>> infs = informers;
        if (infs == null) {
            return List.of();
        }
        return infs.stream().flatMap(inf -> inf.getStore().list().stream()).toList();
    }

    /** The server with this id, if known. */
    public Optional<MCPServer> get(String namespace, String name) {
        List<SharedIndexInformer<MCPServer>> infs = informers;
        if (infs == null) {
            return Optional.empty();
        }
        for (SharedIndexInformer<MCPServer> inf : infs) {
            MCPServer found = inf.getStore().getByKey(namespace + "/" + name);
            if (found != null) {
                return Optional.of(found);
            }
        }
        return Optional.empty();
    }

    /** The winner of {@code server}'s prefix when it is somebody else. */
    public Optional<MCPServer> winnerOver(MCPServer server) {
        List<SharedIndexInformer<MCPServer>> infs = informers;
        Optional<String> prefix = Claims.claimedPrefix(server, mode);
        if (infs == null || prefix.isEmpty()) {
            return Optional.empty();
        }
        List<MCPServer> claimants = infs.stream()
                .flatMap(inf -> inf.getIndexer().byIndex(BY_PREFIX, prefix.get()).stream()).toList();
        return Claims.winnerOver(server, claimants, mode);
    }

    private void fire() {
        for (Runnable l : listeners) {
            try {
                l.run();
            } catch (RuntimeException e) {
                LOG.warn("MCPServer change listener failed", e);
            }
        }
    }

    @PreDestroy
    void stop() {
        List<SharedIndexInformer<MCPServer>> infs = informers;
        if (infs != null) {
            infs.forEach(SharedIndexInformer::close);
        }
    }
}
