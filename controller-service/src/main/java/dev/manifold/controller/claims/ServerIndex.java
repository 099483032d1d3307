package dev.manifold.controller.claims;

import dev.manifold.contracts.PrefixMode;
import dev.manifold.controller.api.v1alpha1.MCPServer;
import dev.manifold.controller.config.ControllerConfig;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A read-only, cluster-wide view of every MCPServer (spec and status), indexed by claimed tool prefix. It
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
    private volatile SharedIndexInformer<MCPServer> informer;

    public ServerIndex(KubernetesClient client, ControllerConfig config) {
        this.client = client;
        this.mode = config.mode();
    }

    /** Calls {@code listener} (on the informer thread; it must not block) after any MCPServer change. */
    public void onChange(Runnable listener) {
        listeners.add(listener);
    }

    /** Starts watching and returns once the initial list is in the cache. */
    public synchronized void start() {
        if (informer != null) {
            return;
        }
        SharedIndexInformer<MCPServer> inf = client.resources(MCPServer.class).inAnyNamespace().runnableInformer(0);
        inf.addIndexers(Map.of(BY_PREFIX, s -> Claims.claimedPrefix(s, mode).map(List::of).orElse(List.of())));
        inf.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(MCPServer obj) {
                fire();
            }

            @Override
            public void onUpdate(MCPServer oldObj, MCPServer newObj) {
                fire();
            }

            @Override
            public void onDelete(MCPServer obj, boolean deletedFinalStateUnknown) {
                fire();
            }
        });
        try {
            inf.start().toCompletableFuture().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            inf.close();
            throw new IllegalStateException("cannot list MCPServers: " + e.getMessage(), e);
        }
        informer = inf;
        LOG.infof("watching MCPServers in all namespaces (%d present)", inf.getStore().list().size());
    }

    /** Whether the initial list has been received and the watch is running. */
    public boolean isWatching() {
        SharedIndexInformer<MCPServer> inf = informer;
        return inf != null && inf.hasSynced() && inf.isWatching();
    }

    /** Every MCPServer currently known. */
    public List<MCPServer> all() {
        SharedIndexInformer<MCPServer> inf = informer;
        return inf == null ? List.of() : inf.getStore().list();
    }

    /** The server with this id, if known. */
    public Optional<MCPServer> get(String namespace, String name) {
        SharedIndexInformer<MCPServer> inf = informer;
        return inf == null ? Optional.empty() : Optional.ofNullable(inf.getStore().getByKey(namespace + "/" + name));
    }

    /** The winner of {@code server}'s prefix when it is somebody else. */
    public Optional<MCPServer> winnerOver(MCPServer server) {
        SharedIndexInformer<MCPServer> inf = informer;
        Optional<String> prefix = Claims.claimedPrefix(server, mode);
        if (inf == null || prefix.isEmpty()) {
            return Optional.empty();
        }
        return Claims.winnerOver(server, inf.getIndexer().byIndex(BY_PREFIX, prefix.get()), mode);
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
        SharedIndexInformer<MCPServer> inf = informer;
        if (inf != null) {
            inf.close();
        }
    }
}
