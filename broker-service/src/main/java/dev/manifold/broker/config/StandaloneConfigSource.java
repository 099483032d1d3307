package dev.manifold.broker.config;

import dev.manifold.contracts.ConfigValidationException;
import dev.manifold.contracts.GatewayConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.vertx.http.HttpServerStart;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.ObservesAsync;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;

/**
 * Standalone config source: reads {@code manifold.broker.config-file}, watches its directory (so editors that
 * replace the file and Kubernetes ConfigMap symlink swaps are seen), debounces bursts of events, and re-reads
 * slowly in case an event was lost. An invalid file is rejected with the field, line and column, and the last
 * good config stays in force. It only ever reads the file.
 */
@ApplicationScoped
public class StandaloneConfigSource {
    private static final Logger LOG = Logger.getLogger(StandaloneConfigSource.class);

    private final BrokerConfig config;
    private final ConfigApplier applier;
    private final Vertx vertx;
    private final Counter rejected;
    private volatile Path file;
    private volatile WatchService watcher;
    private volatile long debounceTimer = -1;
    private volatile long resyncTimer = -1;
    private volatile String lastError;

    public StandaloneConfigSource(BrokerConfig config, ConfigApplier applier, Vertx vertx, MeterRegistry registry) {
        this.config = config;
        this.applier = applier;
        this.vertx = vertx;
        this.rejected = Counter.builder("manifold.broker.config.rejected")
                .description("Config documents rejected as invalid (the last good config stays in force)")
                .register(registry);
    }

    /** Whether the broker runs in standalone mode. */
    public boolean active() {
        return config.configFile().isPresent();
    }

    /** The last rejection, or {@code null} if the last read was good. */
    public String lastError() {
        return lastError;
    }

    /**
     * Starts once the HTTP server is up: Quarkus attaches the Prometheus registry only late in startup, and
     * counters incremented before that (the first apply, the first connects) would be lost.
     */
    void start(@ObservesAsync HttpServerStart event) {
        if (config.configFile().isEmpty()) {
            return;
        }
        file = Path.of(config.configFile().get()).toAbsolutePath().normalize();
        LOG.infof("Standalone mode: config file %s", file);
        reload("startup");
        startWatching();
        long resync = Math.max(1000, config.configResyncInterval().toMillis());
        resyncTimer = vertx.setPeriodic(resync, t -> vertx.executeBlocking(() -> {
            reload("resync");
            return null;
        }, false));
    }

    void stop(@Observes ShutdownEvent event) {
        if (resyncTimer >= 0) {
            vertx.cancelTimer(resyncTimer);
        }
        WatchService w = watcher;
        if (w != null) {
            try {
                w.close();
            } catch (IOException ignored) {
                // shutting down
            }
        }
    }

    /** Reads and applies the file; a no-op when its version is already applied. Blocking: not on an event loop. */
    synchronized void reload(String why) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            reject("config file " + file + " does not exist", why);
            return;
        } catch (IOException e) {
            reject("cannot read config file " + file + ": " + e.getMessage(), why);
            return;
        }
        GatewayConfig next;
        try {
            next = StandaloneConfigFile.parse(bytes);
        } catch (ConfigValidationException e) {
            reject("invalid config file " + file + ": " + e.getMessage(), why);
            return;
        }
        lastError = null;
        applier.apply(next);
    }

    private void reject(String message, String why) {
        if (message.equals(lastError) && "resync".equals(why)) {
            return; // already reported; do not repeat every resync
        }
        lastError = message;
        rejected.increment();
        if (applier.applied() == null) {
            LOG.errorf("%s; no config is in force yet", message);
        } else {
            LOG.errorf("%s; keeping config %s", message, applier.applied().version());
        }
    }

    private void startWatching() {
        Path dir = file.getParent();
        try {
            watcher = FileSystems.getDefault().newWatchService();
            dir.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                    StandardWatchEventKinds.ENTRY_DELETE);
        } catch (IOException e) {
            LOG.errorf("Cannot watch %s (%s); relying on the periodic re-read every %s", dir, e.getMessage(),
                    config.configResyncInterval());
            return;
        }
        Thread thread = new Thread(this::watchLoop, "manifold-config-watch");
        thread.setDaemon(true);
        thread.start();
    }

    private void watchLoop() {
        String name = file.getFileName().toString();
        while (true) {
            WatchKey key;
            try {
                key = watcher.take();
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return;
            }
            boolean relevant = key.pollEvents().stream().anyMatch(ev -> {
                Object context = ev.context();
                // "..data" is the symlink Kubernetes swaps when a mounted ConfigMap changes.
                return context == null || name.equals(context.toString()) || "..data".equals(context.toString());
            });
            key.reset();
            if (relevant) {
                debounce();
            }
        }
    }

    private synchronized void debounce() {
        if (debounceTimer >= 0) {
            vertx.cancelTimer(debounceTimer);
        }
        debounceTimer = vertx.setTimer(Math.max(1, config.configDebounce().toMillis()), t -> {
            debounceTimer = -1;
            vertx.executeBlocking(() -> {
                reload("change");
                return null;
            }, false);
        });
    }
}
