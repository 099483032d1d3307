package dev.manifold.controller.leader;

import dev.manifold.controller.config.ControllerConfig;
import dev.manifold.controller.config.InstallNamespace;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Dependent;
import jakarta.enterprise.inject.Produces;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Who may write. With leader election on, JOSDK holds a Lease for this replica and processes events only while it
 * leads; this bean tells the controller's own writers (the config publisher and the health subscription) when to
 * start, and exports {@code manifold_controller_leader}. A standby keeps its caches warm and writes nothing; a leader
 * that loses its lease exits (JOSDK), so there is never a second writer. With leader election off, this replica
 * leads from the start.
 */
@ApplicationScoped
public class Leadership {
    private static final Logger LOG = Logger.getLogger(Leadership.class);
    public static final String METRIC = "manifold_controller_leader";

    private final ControllerConfig.LeaderElection config;
    private final String namespace;
    private final String identity;
    private final AtomicBoolean leading = new AtomicBoolean();
    private final List<Runnable> onLeading = new java.util.ArrayList<>();

    public Leadership(ControllerConfig config, InstallNamespace installNamespace, MeterRegistry registry) {
        this.config = config.leaderElection();
        this.namespace = installNamespace.get();
        this.identity = this.config.identity().filter(s -> !s.isBlank()).orElseGet(() ->
                Optional.ofNullable(System.getenv("HOSTNAME")).orElse("manifold-controller") + "-"
                        + UUID.randomUUID().toString().substring(0, 8));
        Gauge.builder(METRIC, leading, l -> l.get() ? 1 : 0)
                .description("1 while this replica leads (reconciles and publishes), 0 on a standby")
                .register(registry);
    }

    /**
     * The Lease JOSDK competes for, or {@code null} (no bean: every replica reconciles) when leader election is off.
     * Read by quarkus-operator-sdk when it builds the operator's configuration.
     */
    @Produces
    @Dependent
    LeaderElectionConfiguration leaderElectionConfiguration() {
        if (!config.enabled()) {
            return null;
        }
        LeaderCallbacks callbacks = new LeaderCallbacks(this::startedLeading, () -> LOG.warnf(
                "%s stopped leading (lease %s/%s released at shutdown, or lost); JOSDK exits so that a fresh replica competes again", identity, namespace,
                config.leaseName()), leader -> LOG.infof("lease %s/%s is held by %s", namespace, config.leaseName(), leader));
        return new LeaderElectionConfiguration(config.leaseName(), namespace, config.leaseDuration(),
                config.renewDeadline(), config.retryPeriod(), identity, callbacks, true);
    }

    /** Runs {@code task} once this replica leads: at once when leader election is off or it already leads. */
    public void whenLeading(Runnable task) {
        synchronized (this) {
            if (config.enabled() && !leading.get()) {
                onLeading.add(task);
                return;
            }
            leading.set(true);
        }
        task.run();
    }

    /** Whether this replica leads now. */
    public boolean leading() {
        return leading.get();
    }

    private void startedLeading() {
        List<Runnable> tasks;
        synchronized (this) {
            if (!leading.compareAndSet(false, true)) {
                return;
            }
            tasks = List.copyOf(onLeading);
            onLeading.clear();
        }
        LOG.infof("%s leads (lease %s/%s): reconciling and publishing", identity, namespace, config.leaseName());
        tasks.forEach(Runnable::run);
    }
}
