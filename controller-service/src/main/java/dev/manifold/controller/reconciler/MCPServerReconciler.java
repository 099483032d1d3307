package dev.manifold.controller.reconciler;

import dev.manifold.controller.trigger.ReconcileTrigger;
import dev.manifold.controller.api.v1alpha1.ConditionReasons;
import dev.manifold.contracts.PrefixMode;
import dev.manifold.controller.api.v1alpha1.MCPServer;
import dev.manifold.controller.api.v1alpha1.MCPServerSpec;
import dev.manifold.controller.api.v1alpha1.MCPServerStatus;
import dev.manifold.controller.claims.ServerIndex;
import dev.manifold.controller.validation.SpecValidation;
import dev.manifold.controller.config.ControllerConfig;
import dev.manifold.controller.dependent.MCPServerHeadlessServiceDependent;
import dev.manifold.controller.dependent.MCPServerNetworkPolicyDependent;
import dev.manifold.controller.dependent.MCPServerStatefulSetDependent;
import dev.manifold.controller.dependent.WorkloadActivation;
import dev.manifold.controller.dependent.WorkloadNames;
import dev.manifold.controller.health.BackendHealth;
import dev.manifold.controller.health.HealthMirror;
import dev.manifold.controller.resolve.GatewayApi;
import dev.manifold.controller.resolve.TargetResolver;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import dev.manifold.controller.api.v1alpha1.TargetRef;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Reconciles one MCPServer: validates the spec, decides its prefix claim, resolves its target, lets the
 * workload dependents run, and mirrors broker health. Its only own write is the status, and only when the
 * {@link MCPServerStatusAggregator} says it changed. It never writes the config (the publisher does), never
 * writes HTTPRoutes or Services it resolves, and never touches the spec.
 */
@ControllerConfiguration(name = MCPServerReconciler.NAME)
@Workflow(dependents = {
        @Dependent(name = MCPServerHeadlessServiceDependent.NAME, type = MCPServerHeadlessServiceDependent.class,
                activationCondition = WorkloadActivation.class),
        @Dependent(name = MCPServerStatefulSetDependent.NAME, type = MCPServerStatefulSetDependent.class,
                activationCondition = WorkloadActivation.class),
        @Dependent(name = MCPServerNetworkPolicyDependent.NAME, type = MCPServerNetworkPolicyDependent.class,
                activationCondition = WorkloadActivation.class)
})
public class MCPServerReconciler implements Reconciler<MCPServer> {

    public static final String NAME = "mcpserver";
    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(MCPServerReconciler.class);
    private static final String TARGET_INDEX = "target";
    public static final String RECONCILES_METRIC = "manifold_controller_reconciles_total";

    private final ServerIndex index;
    private final TargetResolver resolver;
    private final HealthMirror health;
    private final ReconcileTrigger trigger;
    private final ServerEvents events;
    private final PrefixMode mode;
    private final String clusterDomain;
    private final Clock clock = Clock.systemUTC();
    private final boolean watchTargets;
    private final GatewayApi gatewayApi;
    private final Counter unchanged;
    private final Counter changed;
    private final Counter failed;

    public MCPServerReconciler(ServerIndex index, TargetResolver resolver, HealthMirror health, ReconcileTrigger trigger,
                               ServerEvents events, ControllerConfig config, GatewayApi gatewayApi,
                               MeterRegistry registry) {
        this.unchanged = Counter.builder(RECONCILES_METRIC).tag("outcome", "unchanged")
                .description("MCPServer reconciles by outcome; unchanged ones wrote nothing").register(registry);
        this.changed = Counter.builder(RECONCILES_METRIC).tag("outcome", "status-changed")
                .description("MCPServer reconciles by outcome; unchanged ones wrote nothing").register(registry);
        this.failed = Counter.builder(RECONCILES_METRIC).tag("outcome", "error")
                .description("MCPServer reconciles by outcome; unchanged ones wrote nothing").register(registry);
        this.index = index;
        this.resolver = resolver;
        this.health = health;
        this.trigger = trigger;
        this.events = events;
        this.mode = config.mode();
        this.clusterDomain = config.clusterDomain();
        this.watchTargets = config.watchTargets();
        this.gatewayApi = gatewayApi;
    }

    /** Counts a reconcile that threw; JOSDK then retries it with its backoff, as without this handler. */
    @Override
    public ErrorStatusUpdateControl<MCPServer> updateErrorStatus(MCPServer server, Context<MCPServer> context,
                                                                 Exception e) {
        failed.increment();
        LOG.warnf("reconciling MCPServer %s/%s failed (retried with backoff): %s", server.getMetadata().getNamespace(),
                server.getMetadata().getName(), e.getMessage());
        return ErrorStatusUpdateControl.defaultErrorProcessing();
    }

    @Override
    public List<EventSource<?, MCPServer>> prepareEventSources(EventSourceContext<MCPServer> context) {
        List<EventSource<?, MCPServer>> sources = new ArrayList<>();
        sources.add(trigger.eventSource());
        if (!watchTargets) {
            return sources;
        }
        IndexerResourceCache<MCPServer> servers = context.getPrimaryCache();
        servers.addIndexer(TARGET_INDEX, MCPServerReconciler::targetKeys);
        // A changed HTTPRoute re-resolves the servers that name it (only where the Gateway API is installed).
        if (gatewayApi.served()) {
            sources.add(new InformerEventSource<>(InformerEventSourceConfiguration.from(HTTPRoute.class, MCPServer.class)
                    .withName("target-httproutes")
                    .withSecondaryToPrimaryMapper(route -> ids(servers, TargetRef.HTTP_ROUTE + "/"
                            + route.getMetadata().getNamespace() + "/" + route.getMetadata().getName()))
                    .build(), context));
        }
        // A changed Service re-resolves the servers that name it, and every server behind an HTTPRoute (routes
        // may point at it from any namespace); those reconciles are reads unless the URL really changed.
        sources.add(new InformerEventSource<>(InformerEventSourceConfiguration.from(Service.class, MCPServer.class)
                .withName("target-services")
                .withSecondaryToPrimaryMapper(service -> {
                    Set<ResourceID> ids = new HashSet<>(ids(servers, TargetRef.SERVICE + "/"
                            + service.getMetadata().getNamespace() + "/" + service.getMetadata().getName()));
                    ids.addAll(ids(servers, TargetRef.HTTP_ROUTE));
                    return ids;
                })
                .build(), context));
        return sources;
    }

    /** Index keys of a server's target: {@code Kind/namespace/name}, plus {@code Kind} alone. */
    private static List<String> targetKeys(MCPServer server) {
        TargetRef ref = server.getSpec() == null ? null : server.getSpec().getTargetRef();
        if (ref == null || ref.getKind() == null || ref.getName() == null) {
            return List.of();
        }
        String ns = ref.getNamespace() == null || ref.getNamespace().isBlank()
                ? server.getMetadata().getNamespace() : ref.getNamespace();
        return List.of(ref.getKind() + "/" + ns + "/" + ref.getName(), ref.getKind());
    }

    private static Set<ResourceID> ids(IndexerResourceCache<MCPServer> servers, String key) {
        Set<ResourceID> ids = new HashSet<>();
        for (MCPServer s : servers.byIndex(TARGET_INDEX, key)) {
            ids.add(ResourceID.fromResource(s));
        }
        return ids;
    }

    @Override
    public UpdateControl<MCPServer> reconcile(MCPServer server, Context<MCPServer> context) {
        MCPServerStatusAggregator status = new MCPServerStatusAggregator(server, clock);
        String url = accept(server, context, status);
        status.url(url);
        if (url == null) {
            status.condition(MCPServerStatus.READY, false, ConditionReasons.NOT_ACCEPTED, "the server is not accepted");
            status.health(null, null);
        } else if (Boolean.FALSE.equals(server.getSpec().getEnabled())) {
            status.condition(MCPServerStatus.READY, false, ConditionReasons.DISABLED, "spec.enabled is false");
            status.health(null, null);
        } else {
            mirrorHealth(server, status);
        }
        if (server.getSpec() != null && SpecValidation.isRunnableWorkload(server.getSpec())) {
            Optional<StatefulSet> sts = context.getSecondaryResource(StatefulSet.class);
            status.readyReplicas(sts.map(s -> s.getStatus() == null || s.getStatus().getReadyReplicas() == null
                    ? 0 : s.getStatus().getReadyReplicas()).orElse(0));
        }
        if (LOG.isDebugEnabled()) {
            LOG.debugf("reconciled %s generation %d: %s", server.id(), server.getMetadata().getGeneration(),
                    status.build().condition(MCPServerStatus.ACCEPTED).map(c -> c.getStatus() + "/" + c.getReason()).orElse("?"));
        }
        if (!status.changed()) {
            unchanged.increment();
            return UpdateControl.noUpdate();
        }
        changed.increment();
        events.transitions(server, server.getStatus(), status.build());
        MCPServer patch = new MCPServer();
        patch.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder()
                .withName(server.getMetadata().getName()).withNamespace(server.getMetadata().getNamespace())
                .withResourceVersion(server.getMetadata().getResourceVersion()).build());
        patch.setStatus(status.build());
        return UpdateControl.patchStatus(patch);
    }

    /**
     * Sets Accepted and Conflict; returns the server's URL when it is accepted, {@code null} otherwise.
     */
    private String accept(MCPServer server, Context<MCPServer> context, MCPServerStatusAggregator status) {
        MCPServerSpec spec = server.getSpec();
        List<String> problems = SpecValidation.problems(spec, mode);
        if (!problems.isEmpty()) {
            status.condition(MCPServerStatus.ACCEPTED, false, ConditionReasons.INVALID_SPEC, String.join("; ", problems));
            status.condition(MCPServerStatus.CONFLICT, false, ConditionReasons.NO_CONFLICT, "");
            return null;
        }
        Optional<MCPServer> winner = index.winnerOver(server);
        if (winner.isPresent()) {
            String message = "toolPrefix '" + spec.getToolPrefix() + "' is already claimed by '" + winner.get().id()
                    + "' (created " + winner.get().getMetadata().getCreationTimestamp() + ")";
            boolean newConflict = status.previous(MCPServerStatus.ACCEPTED)
                    .map(c -> !ConditionReasons.PREFIX_CONFLICT.equals(c.getReason()) || !message.equals(c.getMessage()))
                    .orElse(true);
            status.condition(MCPServerStatus.ACCEPTED, false, ConditionReasons.PREFIX_CONFLICT, message);
            status.condition(MCPServerStatus.CONFLICT, true, ConditionReasons.PREFIX_CONFLICT, message);
            if (newConflict) {
                events.prefixConflict(server, message);
            }
            return null;
        }
        status.condition(MCPServerStatus.CONFLICT, false, ConditionReasons.NO_CONFLICT, "");
        String url;
        if (spec.getUrl() != null) {
            url = spec.getUrl();
        } else if (spec.getWorkload() != null) {
            String name = server.getMetadata().getName();
            url = "http://" + WorkloadNames.headlessService(name) + "." + server.getMetadata().getNamespace() + ".svc."
                    + clusterDomain + ":" + WorkloadNames.port(spec.getWorkload()) + WorkloadNames.path(spec.getWorkload());
        } else {
            TargetResolver.Resolution resolution = resolver.resolve(server);
            if (!resolution.resolved()) {
                status.condition(MCPServerStatus.ACCEPTED, false, resolution.reason(), resolution.message());
                return null;
            }
            url = resolution.url();
        }
        if (Boolean.FALSE.equals(spec.getEnabled())) {
            status.condition(MCPServerStatus.ACCEPTED, true, ConditionReasons.DISABLED,
                    "valid, but spec.enabled is false, so it is not published");
        } else {
            status.condition(MCPServerStatus.ACCEPTED, true, ConditionReasons.ACCEPTED, "published in the gateway config");
        }
        return url;
    }

    private void mirrorHealth(MCPServer server, MCPServerStatusAggregator status) {
        Optional<BackendHealth> reported;
        try {
            reported = health.read(server.id());
        } catch (HealthMirror.HealthUnavailableException e) {
            LOG.debugf("keeping the last observed health of %s: %s", server.id(), e.getMessage());
            status.keepPrevious(MCPServerStatus.READY, ConditionReasons.AWAITING_HEALTH,
                    "the broker has not reported this server's health yet");
            return;
        }
        if (reported.isEmpty() || reported.get().state() == null) {
            status.condition(MCPServerStatus.READY, false, ConditionReasons.AWAITING_HEALTH,
                    "the broker has not reported this server's health yet");
            status.health(null, null);
            return;
        }
        BackendHealth h = reported.get();
        status.condition(MCPServerStatus.READY, h.isReady(), h.state(), h.message());
        status.health(h.state(), h.tools());
    }
}
