package dev.manifold.controller.reconciler;

import dev.manifold.controller.api.v1alpha1.ConditionReasons;
import dev.manifold.controller.api.v1alpha1.MCPServer;
import dev.manifold.controller.api.v1alpha1.MCPServerStatus;
import dev.manifold.controller.config.ControllerConfig;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Records Kubernetes Events on MCPServers: one per condition transition (Accepted and Ready: status or reason
 * changed), and one when a server loses its prefix. Called only from the reconciler on a status that changed, so a
 * steady state records nothing. Rate-limited per server and condition: at most {@value #BURST} Events per
 * {@code manifold.controller.event-interval}; a condition that flaps faster has the rest counted as suppressed, so
 * Events can never become a write loop. Never writes an MCPServer.
 */
@ApplicationScoped
public class ServerEvents {

    private static final Logger LOG = Logger.getLogger(ServerEvents.class);
    public static final String METRIC = "manifold_controller_events_total";
    public static final String SUPPRESSED_METRIC = "manifold_controller_events_suppressed_total";
    /** At most this many (server, condition) entries are remembered for rate limiting; the oldest go first. */
    static final int MAX_TRACKED = 10_000;
    /** Events per server and condition within one {@code event-interval}; further transitions are suppressed. */
    public static final int BURST = 5;

    private final KubernetesClient client;
    private final MeterRegistry registry;
    private final long intervalNanos;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Counter suppressed;
    /** Per (server uid, condition): {window start in nanos, events recorded in that window}. */
    private final Map<String, long[]> windows = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, long[]> eldest) {
            return size() > MAX_TRACKED;
        }
    };

    public ServerEvents(KubernetesClient client, MeterRegistry registry, ControllerConfig config) {
        this.client = client;
        this.registry = registry;
        this.intervalNanos = config.eventInterval().toNanos();
        this.suppressed = Counter.builder(SUPPRESSED_METRIC)
                .description("Condition-transition Events not recorded because the same server and condition had one"
                        + " within manifold.controller.event-interval")
                .register(registry);
    }

    /** A Warning Event on a server that lost its prefix (the reconciler calls it once per new conflict). */
    public void prefixConflict(MCPServer loser, String message) {
        record(loser, "Warning", ConditionReasons.PREFIX_CONFLICT, message);
    }

    /**
     * One Event per condition (Accepted, Ready) whose status or reason differs between {@code before} and
     * {@code after}; Normal when the condition became True, Warning when it is False. The prefix conflict has its
     * own Event ({@link #prefixConflict}).
     */
    public void transitions(MCPServer server, MCPServerStatus before, MCPServerStatus after) {
        for (String type : new String[] {MCPServerStatus.ACCEPTED, MCPServerStatus.READY}) {
            Optional<Condition> was = before == null ? Optional.empty() : before.condition(type);
            Optional<Condition> now = after.condition(type);
            if (now.isEmpty() || ConditionReasons.PREFIX_CONFLICT.equals(now.get().getReason())) {
                continue;
            }
            Condition c = now.get();
            boolean changed = was.map(w -> !Objects.equals(w.getStatus(), c.getStatus())
                    || !Objects.equals(w.getReason(), c.getReason())).orElse(true);
            if (!changed) {
                continue;
            }
            String key = server.getMetadata().getUid() + "/" + type;
            long nowNanos = System.nanoTime();
            synchronized (windows) {
                long[] window = windows.computeIfAbsent(key, k -> new long[] {nowNanos, 0});
                if (nowNanos - window[0] >= intervalNanos) {
                    window[0] = nowNanos;
                    window[1] = 0;
                }
                if (window[1] >= BURST) {
                    suppressed.increment();
                    continue;
                }
                window[1]++;
            }
            String message = type + " is " + c.getStatus() + " (" + c.getReason() + ")"
                    + (c.getMessage() == null || c.getMessage().isBlank() ? "" : ": " + c.getMessage());
            record(server, "True".equals(c.getStatus()) ? "Normal" : "Warning", c.getReason(), message);
        }
    }

    private void record(MCPServer server, String type, String reason, String message) {
        String namespace = server.getMetadata().getNamespace();
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        try {
            client.v1().events().inNamespace(namespace).resource(new EventBuilder()
                    .withNewMetadata()
                    .withName(server.getMetadata().getName() + "." + UUID.randomUUID().toString().substring(0, 8))
                    .withNamespace(namespace)
                    .endMetadata()
                    .withInvolvedObject(new ObjectReferenceBuilder()
                            .withApiVersion(server.getApiVersion()).withKind(server.getKind())
                            .withName(server.getMetadata().getName()).withNamespace(namespace)
                            .withUid(server.getMetadata().getUid()).build())
                    .withType(type)
                    .withReason(reason)
                    .withMessage(message.length() > 1024 ? message.substring(0, 1024) : message)
                    .withCount(1)
                    .withFirstTimestamp(now).withLastTimestamp(now)
                    .withNewSource().withComponent("manifold-controller").endSource()
                    .build()).create();
            counters.computeIfAbsent(type + "|" + reason, k -> Counter.builder(METRIC)
                    .description("Events recorded on MCPServers, by type and reason")
                    .tag("type", type).tag("reason", reason).register(registry)).increment();
        } catch (KubernetesClientException e) {
            LOG.warnf("cannot record %s event for %s: %s", reason, server.id(), e.getMessage());
        }
    }
}
