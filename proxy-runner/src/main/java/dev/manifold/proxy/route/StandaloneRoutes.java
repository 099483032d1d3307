package dev.manifold.proxy.route;

import dev.manifold.contracts.ConfigValidationException;
import dev.manifold.proxy.ProxyConfig;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Standalone mode: owns the route table, filled from {@code manifold.proxy.routes-file}. The file is read at
 * startup (an invalid file stops the start with the field and line at fault) and polled afterwards; a changed,
 * valid file replaces the routes, an invalid one is reported and the last good routes stay. Never writes the
 * file it watches.
 */
@ApplicationScoped
public class StandaloneRoutes {

    private static final Logger LOG = Logger.getLogger(StandaloneRoutes.class);

    private final ProxyConfig config;
    private final RouteTable table;
    private volatile byte[] lastBytes;
    private volatile String lastError;

    public StandaloneRoutes(ProxyConfig config, RouteTable table) {
        this.config = config;
        this.table = table;
    }

    void start(@Observes StartupEvent event) {
        config.routesFile().ifPresent(file -> {
            try {
                load(file);
            } catch (ConfigValidationException | IOException e) {
                throw new IllegalStateException("Cannot start: routes file " + file + " is invalid: " + e.getMessage(), e);
            }
        });
    }

    @Scheduled(every = "${manifold.proxy.routes-reload-interval:2s}", delayed = "${manifold.proxy.routes-reload-interval:2s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void reload() {
        Path file = config.routesFile().orElse(null);
        if (file == null) {
            return;
        }
        try {
            load(file);
        } catch (ConfigValidationException e) {
            report(file + " is invalid, keeping the previous routes: " + e.getMessage());
        } catch (IOException e) {
            report("cannot read " + file + ", keeping the previous routes: " + e);
        }
    }

    private void report(String error) {
        if (!error.equals(lastError)) {
            LOG.error(error);
        }
        lastError = error;
    }

    private void load(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        if (lastBytes != null && Arrays.equals(bytes, lastBytes)) {
            lastError = null; // e.g. a broken edit reverted: the file on disk is the one being served again
            return;
        }
        table.replace(RoutesFileParser.parse(bytes));
        lastBytes = bytes;
        lastError = null;
        LOG.infof("Routes loaded from %s: %s", file, table.all().keySet());
    }

    /** The last reload error, or null when the file on disk is the one being served. */
    public String lastError() {
        return lastError;
    }
}
