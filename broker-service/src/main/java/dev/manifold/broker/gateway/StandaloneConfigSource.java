package dev.manifold.broker.gateway;

import dev.manifold.broker.credentials.BackendCredentials;
import dev.manifold.broker.credentials.CredentialSource;

import dev.manifold.broker.settings.BrokerConfig;
import dev.manifold.contracts.CanonicalJson;
import dev.manifold.contracts.ConfigValidationException;
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
import java.util.Map;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.concurrent.TimeUnit;

/**
 * Standalone config source: reads {@code manifold.broker.config-file}, watches its directory (so editors that
 * replace the file and Kubernetes ConfigMap symlink swaps are seen), debounces bursts of events, and re-reads
 * slowly in case an event was lost. A file is applied only once it has settled (unchanged across
 * {@code config-settle}), so one written slowly in place is never applied prefix by prefix. An invalid file is
 * rejected with the field, line and column, and the last good config stays in force. It only ever reads the file.
 */
@ApplicationScoped
public class StandaloneConfigSource {
    private static final Logger LOG = Logger.getLogger(StandaloneConfigSource.class);

    private final BrokerConfig config;
    private final ConfigApplier applier;
    private final BackendCredentials credentials;
    private final Vertx vertx;
    private final Counter rejected;
    private volatile Path file;
    private volatile WatchService watcher;
    private volatile long debounceTimer = -1;
    private volatile long resyncTimer = -1;
    private volatile long settleTimer = -1;
    /** The latest read of the file: applied once a read a settle window later finds it unchanged. */
    private Snapshot candidate;
    private volatile String lastError;

    public StandaloneConfigSource(BrokerConfig config, ConfigApplier applier, BackendCredentials credentials, Vertx vertx,
                                  MeterRegistry registry) {
        this.config = config;
        this.applier = applier;
        this.credentials = credentials;
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
        for (long timer : new long[]{resyncTimer, debounceTimer, settleTimer}) {
            if (timer >= 0) {
                vertx.cancelTimer(timer);
            }
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

    /**
     * Reads the file and applies it once it has settled: a read that finds new content only starts the settle
     * window, and the file is applied when a read at least a window later finds the same size, modification time
     * and content. A file still changing is re-checked a window later, never applied half-way; nor is it judged
     * (rejected) before it settles. Applying a version already in force is a no-op. Blocking: not on an event loop.
     */
    synchronized void reload(String why) {
        Snapshot seen;
        try {
            seen = Snapshot.read(file);
        } catch (NoSuchFileException e) {
            candidate = null;
            reject("config file " + file + " does not exist", why);
            return;
        } catch (IOException e) {
            candidate = null;
            reject("cannot read config file " + file + ": " + e.getMessage(), why);
            return;
        }
        long settle = config.configSettle().toNanos();
        Snapshot earlier = candidate;
        if (earlier == null || !earlier.sameAs(seen)) {
            candidate = seen;
            earlier = seen;
        }
        long unsettled = settle - (seen.readAtNanos() - earlier.readAtNanos());
        if (unsettled > 0) {
            LOG.debugf("Config file %s changed (%s); applying it once unchanged for %s", file, why, config.configSettle());
            recheckAfter(unsettled);
            return;
        }
        StandaloneConfigFile.Parsed next;
        try {
            next = StandaloneConfigFile.read(seen.bytes());
        } catch (ConfigValidationException e) {
            reject("invalid config file " + file + ": " + e.getMessage(), why);
            return;
        }
        lastError = null;
        credentials.useStandalone(relativeToFile(next.credentials()));
        applier.apply(next.config());
    }

    /** A relative {@code credential.file} is read from the config file's directory, wherever the broker runs. */
    private Map<String, CredentialSource> relativeToFile(Map<String, CredentialSource> sources) {
        Map<String, CredentialSource> out = new java.util.HashMap<>();
        Path dir = file.toAbsolutePath().getParent();
        sources.forEach((id, source) -> out.put(id, source instanceof CredentialSource.File f && dir != null
                ? new CredentialSource.File(dir.resolve(f.path()).normalize().toString(), f.header()) : source));
        return out;
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

    /** Reads the file again once the settle window of the latest read has passed. */
    private void recheckAfter(long nanos) {
        if (settleTimer >= 0) {
            vertx.cancelTimer(settleTimer);
        }
        settleTimer = vertx.setTimer(Math.max(1, TimeUnit.NANOSECONDS.toMillis(nanos) + 1), t -> {
            settleTimer = -1;
            vertx.executeBlocking(() -> {
                reload("settle");
                return null;
            }, false);
        });
    }

    /** One read of the file; two reads agree when size, modification time and content hash are all the same. */
    private record Snapshot(long size, FileTime modified, String sha256, byte[] bytes, long readAtNanos) {
        static Snapshot read(Path file) throws IOException {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            byte[] bytes = Files.readAllBytes(file);
            return new Snapshot(attributes.size(), attributes.lastModifiedTime(), CanonicalJson.sha256(bytes), bytes,
                    System.nanoTime());
        }

        boolean sameAs(Snapshot other) {
            return size == other.size && modified.equals(other.modified) && sha256.equals(other.sha256);
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
