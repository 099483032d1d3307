package dev.manifold.broker.upstream;

import dev.manifold.contracts.McpVersions;
import dev.manifold.contracts.JsonRpcErrors;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.manifold.broker.settings.BrokerConfig;
import dev.manifold.contracts.ServerEntry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.smallrye.faulttolerance.api.TypedGuard;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.util.TypeLiteral;
import dev.manifold.broker.telemetry.Mdc;
import org.jboss.logging.Logger;

import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Owns the live backends: connects them asynchronously (all in parallel, each bounded by the connect timeout),
 * reconnects with capped exponential backoff and jitter, quarantines permanent failures and re-probes them
 * slowly, and probes Ready backends over a fresh connection. Health is runtime state: it never writes config.
 * A closed backend's timer is cancelled at once and no request reaches it afterwards.
 */
@ApplicationScoped
public class BackendSupervisor {
    private static final Logger LOG = Logger.getLogger(BackendSupervisor.class);

    private final Vertx vertx;
    private final McpHttpClient http;
    private final ObjectMapper mapper;
    private final BrokerConfig config;
    private final MeterRegistry registry;
    private final Map<String, Backend> backends = new ConcurrentHashMap<>();
    private final List<Runnable> toolListeners = new CopyOnWriteArrayList<>();
    private final List<java.util.function.Consumer<Backend>> healthListeners = new CopyOnWriteArrayList<>();
    private final List<java.util.function.Consumer<Backend>> closeListeners = new CopyOnWriteArrayList<>();
    private final Map<String, Counter> connectCounters = new ConcurrentHashMap<>();
    private final AtomicLong requestIds = new AtomicLong();
    private final List<Gauge> gauges = new ArrayList<>();
    private final Map<String, List<Gauge>> serverGauges = new ConcurrentHashMap<>();

    public BackendSupervisor(Vertx vertx, McpHttpClient http, ObjectMapper mapper, BrokerConfig config,
                             MeterRegistry registry) {
        this.vertx = vertx;
        this.http = http;
        this.mapper = mapper;
        this.config = config;
        this.registry = registry;
        for (BackendState state : BackendState.values()) {
            gauges.add(Gauge.builder("manifold.broker.backends", backends, all -> all.values().stream().filter(b -> b.state == state).count())
                    .description("Backends per health state")
                    .tag("state", state.label())
                    .register(registry));
        }
    }

    /** Stops every backend's timers and unregisters gauges that read this bean. */
    @jakarta.annotation.PreDestroy
    void shutdown() {
        backends.values().forEach(b -> {
            b.closed = true;
            cancelTimer(b);
        });
        gauges.forEach(registry::remove);
        serverGauges.values().forEach(list -> list.forEach(registry::remove));
    }

    /** Called whenever a backend's served tools may have changed (state change or new listing). */
    public void onToolsChanged(Runnable listener) {
        toolListeners.add(listener);
    }

    /**
     * Called when a backend's health state or served tool count changes, and when it is removed ({@link
     * Backend#isClosed()}).
     */
    public void onHealthChanged(java.util.function.Consumer<Backend> listener) {
        healthListeners.add(listener);
    }

    /**
     * Called once for a backend that was removed from the config or replaced by a changed entry (a new {@link
     * Backend#key()}), after it is marked closed: whatever is held for it (client sessions' backend sessions and
     * streams) must be released. Not called at shutdown. Listeners must not block.
     */
    public void onClosed(java.util.function.Consumer<Backend> listener) {
        closeListeners.add(listener);
    }

    /** Live backends by id. */
    public Collection<Backend> all() {
        return backends.values();
    }

    public Backend get(String id) {
        return backends.get(id);
    }

    /** Adds a backend and starts connecting it; returns at once. */
    public Backend start(ServerEntry entry) {
        Backend backend = new Backend(entry);
        if (!entry.isEnabled()) {
            backend.state = BackendState.DISABLED;
        }
        Backend previous = backends.put(entry.id(), backend);
        if (previous != null) {
            close(previous);
        }
        healthListeners.forEach(l -> l.accept(backend));
        perServerGauges(entry.id());
        if (!entry.isEnabled()) {
            return backend;
        }
        String unreachable = BackendEndpoints.unreachableReason(entry);
        if (unreachable != null) {
            // A configuration gap of this broker, not a backend failure: said once, fixed by setting the key.
            Mdc.aboutServer(entry.id(), () -> LOG.warnf("Backend %s not connected: %s", entry.id(), unreachable));
            transition(backend, BackendState.UNHEALTHY, unreachable);
        } else {
            connect(backend);
        }
        return backend;
    }

    /** Stops a backend: cancels its timer, closes its discovery session; no probe reaches it afterwards. */
    public void stop(String id) {
        Backend backend = backends.remove(id);
        if (backend != null) {
            close(backend);
            healthListeners.forEach(l -> l.accept(backend));
            fireToolsChanged();
        }
    }

    private void close(Backend backend) {
        backend.closed = true;
        cancelTimer(backend);
        closeStream(backend);
        String sid = backend.discoverySessionId;
        if (sid != null && backend.state == BackendState.READY) {
            http.deleteSession(backend.entry().url(), sid, backend.protocolVersion).subscribe().with(v -> {
            });
        }
        closeListeners.forEach(l -> {
            try {
                l.accept(backend);
            } catch (RuntimeException e) {
                Mdc.aboutServer(backend.id(), () -> LOG.warnf(e, "Releasing what is held for removed backend %s failed", backend.id()));
            }
        });
    }

    private static boolean isRetriable(Throwable failure) {
        if (failure instanceof BackendException be) {
            return !be.permanent() && be.kind() != BackendException.Kind.CLOSED;
        }
        return true;
    }

    /**
     * A workload server answered 404 by the proxy-runner: it applies the same published config as this broker, at its
     * own pace, so right after a config change it may not route the server yet. Transient, not a wrong endpoint.
     */
    private static boolean notRoutedYet(Backend backend, Throwable failure) {
        return backend.entry().workload() != null && failure instanceof BackendException be && be.status() == 404;
    }

    /**
     * The guarded type. TypeLiteral reads its type argument by reflection (the generic superclass), so it is a named
     * class registered for the native image; an anonymous subclass could not be named in a registration.
     */
    @RegisterForReflection
    static final class UniOfVoid extends TypeLiteral<Uni<Void>> {
    }

    /**
     * Retries transient connect failures forever with capped exponential backoff and jitter. Every failed attempt
     * marks the backend unhealthy before the next one. The time-box of each attempt is not here but in {@link
     * #connect}, with Mutiny: a Fault Tolerance timeout fails the attempt without cancelling it, which would leave
     * its HTTP exchange (and connection) open.
     */
    private TypedGuard<Uni<Void>> connectGuard(Backend backend) {
        long initial = Math.max(1, config.backoffInitial().toMillis());
        // Never wait longer than a probe interval: a backend that comes back is Ready within one interval.
        long max = Math.max(initial, Math.min(config.backoffMax().toMillis(), config.probeInterval().toMillis()));
        return TypedGuard.create(new UniOfVoid())
                .withDescription("backend-connect") // a metric label: never per server
                .withRetry()
                .maxRetries(-1)
                .maxDuration(3650, ChronoUnit.DAYS)
                .delay(initial, ChronoUnit.MILLIS)
                .jitter(config.backoffJitter().toMillis(), ChronoUnit.MILLIS)
                .whenException(failure -> isRetriable(failure) || notRoutedYet(backend, failure))
                .beforeRetry(failure -> noteFailure(backend, failure))
                .withExponentialBackoff().factor(2).maxDelay(max, ChronoUnit.MILLIS).done()
                .done()
                .build();
    }

    private void connect(Backend backend) {
        if (backend.closed || !backend.connecting.compareAndSet(false, true)) {
            return;
        }
        cancelTimer(backend);
        connectGuard(backend).get(() -> connectOnce(backend)
                        .ifNoItem().after(config.connectTimeout()).failWith(() -> BackendException.timedOut("backend-connect")))
                .subscribe().with(
                        ok -> {
                            backend.connecting.set(false);
                            scheduleProbe(backend);
                        },
                        failure -> {
                            backend.connecting.set(false);
                            if (backend.closed) {
                                return;
                            }
                            String message = failure.getMessage();
                            if (failure instanceof BackendException be && be.permanent()) {
                                Mdc.aboutServer(backend.id(), () -> LOG.warnf("Backend %s quarantined (re-probe in %s): %s",
                                        backend.id(), config.quarantineInterval(), message));
                                transition(backend, BackendState.QUARANTINED, message);
                                backend.timerId = vertx.setTimer(Math.max(1, config.quarantineInterval().toMillis()), t -> {
                                    backend.timerId = -1;
                                    if (!backend.closed) {
                                        connect(backend);
                                    }
                                });
                            } else {
                                Mdc.aboutServer(backend.id(), () -> LOG.errorf("Backend %s connect loop ended unexpectedly: %s",
                                        backend.id(), message));
                                transition(backend, BackendState.UNHEALTHY, message);
                            }
                        });
    }

    /** One connect attempt: initialize, initialized, list tools. Fails fast once the backend is closed. */
    private Uni<Void> connectOnce(Backend backend) {
        if (backend.closed) {
            return Uni.createFrom().failure(new BackendException(BackendException.Kind.CLOSED, 0, backend.id() + " was removed"));
        }
        connectCounter(backend.id()).increment();
        int attempt = backend.attempts.incrementAndGet();
        String url = backend.entry().url();
        String preferred = backend.entry().protocolHint() != null ? backend.entry().protocolHint() : McpVersions.LATEST;
        Uni<InitializedSession> handshake = McpVersions.STATELESS.equals(preferred)
                ? discoverStateless(url, true)
                : initialize(url, preferred, discoveryCapabilities(), true)
                .onFailure(f -> f instanceof BackendException be && be.kind() == BackendException.Kind.PROTOCOL)
                .recoverWithUni(failure -> discoverStateless(url, true).onFailure().transform(ignored -> failure));
        return handshake
                .chain(session -> discover(url, session, true)
                        .invoke(found -> {
                            if (backend.closed || backend.attempts.get() != attempt) {
                                // removed meanwhile, or this attempt timed out and a newer one runs
                                if (session.sessionId() != null) {
                                    http.deleteSession(url, session.sessionId(), session.protocolVersion()).subscribe().with(v -> {
                                    });
                                }
                                return;
                            }
                            String oldSid = backend.discoverySessionId;
                            backend.discoverySessionId = session.sessionId();
                            backend.protocolVersion = session.protocolVersion();
                            backend.capabilities = session.capabilities();
                            backend.tools = found.tools();
                            backend.prompts = found.prompts();
                            backend.resources = found.resources();
                            backend.templates = found.templates();
                            backend.streams = found.streamed();
                            backend.consecutiveFailures = 0;
                            if (oldSid != null && !oldSid.equals(session.sessionId())) {
                                http.deleteSession(url, oldSid, session.protocolVersion()).subscribe().with(v -> {
                                });
                            }
                            Mdc.aboutServer(backend.id(), () -> LOG.infof(
                                    "Backend %s ready: %d tools, %d prompts, %d resources, %d resource templates, protocol %s",
                                    backend.id(), found.tools().size(), found.prompts().size(), found.resources().size(),
                                    found.templates().size(), session.protocolVersion()));
                            transition(backend, BackendState.READY, null);
                            healthListeners.forEach(l -> l.accept(backend));
                            fireToolsChanged();
                            listenForChanges(backend, session);
                        }))
                .replaceWithVoid();
    }

    /**
     * What the broker declares in its own (discovery) sessions: everything it can relay to clients. Some servers
     * offer tools only to clients that can answer sampling, elicitation or roots requests; declaring them here
     * lists those tools, and a client session gets them only if the client itself declared the capability.
     */
    private ObjectNode discoveryCapabilities() {
        ObjectNode caps = mapper.createObjectNode();
        for (String capability : config.discoveryCapabilities()) {
            switch (capability.trim()) {
                case "sampling" -> caps.putObject("sampling");
                case "elicitation" -> caps.putObject("elicitation");
                case "roots" -> caps.putObject("roots").put("listChanged", true);
                default -> {
                    // "none" or unknown names declare nothing
                }
            }
        }
        return caps;
    }

    /** The broker's answer to a server-to-client request on its own session: no roots, nothing else served. */
    private void answerOnDiscovery(Backend backend, InitializedSession session, JsonNode request) {
        ObjectNode answer = mapper.createObjectNode();
        answer.put("jsonrpc", "2.0");
        answer.set("id", request.get("id"));
        if ("roots/list".equals(request.path("method").asText())) {
            answer.putObject("result").putArray("roots");
        } else {
            ObjectNode error = answer.putObject("error");
            error.put("code", JsonRpcErrors.METHOD_NOT_FOUND);
            error.put("message", "The gateway's own session has no client to ask");
        }
        http.post(backend.entry().url(), session.sessionId(), session.protocolVersion(), answer, false, null)
                .subscribe().with(r -> {
                }, f -> LOG.debugf("Answering %s on %s's discovery session failed: %s", request.path("method").asText(), backend.id(), f.getMessage()));
    }

    /** What a backend serves: its tools, and its prompts, resources and templates when it declares them. */
    public record Discovery(List<ObjectNode> tools, List<ObjectNode> prompts, List<ObjectNode> resources,
                            List<ObjectNode> templates, boolean streamed) {
    }

    /** The list methods per feature: method, result field, capability. */
    enum Feature {
        TOOLS("tools/list", "tools", "tools", "name"),
        PROMPTS("prompts/list", "prompts", "prompts", "name"),
        RESOURCES("resources/list", "resources", "resources", "uri"),
        TEMPLATES("resources/templates/list", "resourceTemplates", "resources", "uriTemplate");

        final String method;
        final String field;
        final String capability;
        final String key;

        Feature(String method, String field, String capability, String key) {
            this.method = method;
            this.field = field;
            this.capability = capability;
            this.key = key;
        }
    }

    private Uni<Discovery> discover(String url, InitializedSession session, boolean fresh) {
        JsonNode caps = session.capabilities();
        java.util.concurrent.atomic.AtomicBoolean streamed = new java.util.concurrent.atomic.AtomicBoolean();
        return listAll(url, session.sessionId(), session.protocolVersion(), fresh, Feature.TOOLS, streamed)
                .chain(tools -> listFeature(url, session, fresh, Feature.PROMPTS, caps)
                        .chain(prompts -> listFeature(url, session, fresh, Feature.RESOURCES, caps)
                                .chain(resources -> listFeature(url, session, fresh, Feature.TEMPLATES, caps)
                                        .map(templates -> new Discovery(tools, prompts, resources, templates, streamed.get())))));
    }

    /**
     * Lists one feature. Tools are always listed (a failure fails the connect); the others only when the backend
     * declares the capability, and a failure there leaves that feature empty rather than failing the backend.
     */
    private Uni<List<ObjectNode>> listFeature(String url, InitializedSession session, boolean fresh, Feature feature,
                                              JsonNode caps) {
        if (feature != Feature.TOOLS && (caps == null || !caps.has(feature.capability))) {
            return Uni.createFrom().item(List.of());
        }
        Uni<List<ObjectNode>> listing = listAll(url, session.sessionId(), session.protocolVersion(), fresh, feature, null);
        if (feature == Feature.TOOLS) {
            return listing;
        }
        return listing.onFailure(f -> !(f instanceof BackendException be && be.kind() != BackendException.Kind.PROTOCOL))
                .recoverWithItem(f -> {
                    LOG.warnf("%s declares %s but %s failed: %s; serving none", url, feature.capability, feature.method, f.getMessage());
                    return List.of();
                });
    }

    /**
     * Listens on the backend's GET stream for its own {@code notifications/tools/list_changed} and re-lists its
     * tools then. A backend that offers no stream (405) is simply not listened to; its tools are re-listed on
     * reconnect. When the stream ends, the next probe decides: a healthy backend gets a new stream.
     */
    private void listenForChanges(Backend backend, InitializedSession session) {
        closeStream(backend);
        if (session.sessionId() == null || !announcesChanges(session.capabilities())) {
            return;
        }
        String url = backend.entry().url();
        http.openStream(url, session.sessionId(), session.protocolVersion(), message -> {
            if (message.has("id") && message.path("method").isTextual()) {
                answerOnDiscovery(backend, session, message);
                return;
            }
            switch (message.path("method").asText()) {
                case "notifications/tools/list_changed" -> relist(backend, session, Feature.TOOLS);
                case "notifications/prompts/list_changed" -> relist(backend, session, Feature.PROMPTS);
                case "notifications/resources/list_changed" -> {
                    relist(backend, session, Feature.RESOURCES);
                    relist(backend, session, Feature.TEMPLATES);
                }
                default -> {
                    // other messages on the discovery session are not for any client
                }
            }
        }, () -> backend.changeStream = null).subscribe().with(handle -> {
            backend.streamOffered = handle != null;
            if (handle != null && !backend.closed && session.sessionId().equals(backend.discoverySessionId)) {
                backend.changeStream = handle;
            } else if (handle != null) {
                handle.run();
            }
        }, failure -> LOG.debugf("No change stream from %s: %s", backend.id(), failure.getMessage()));
    }

    private static boolean announcesChanges(JsonNode caps) {
        return caps != null && (caps.path("tools").path("listChanged").asBoolean(false)
                || caps.path("prompts").path("listChanged").asBoolean(false)
                || caps.path("resources").path("listChanged").asBoolean(false));
    }

    private void relist(Backend backend, InitializedSession session, Feature feature) {
        listFeature(backend.entry().url(), session, false, feature, session.capabilities())
                .ifNoItem().after(config.connectTimeout()).fail()
                .subscribe().with(items -> {
                    if (backend.closed || !session.sessionId().equals(backend.discoverySessionId)) {
                        return;
                    }
                    switch (feature) {
                        case TOOLS -> backend.tools = items;
                        case PROMPTS -> backend.prompts = items;
                        case RESOURCES -> backend.resources = items;
                        case TEMPLATES -> backend.templates = items;
                    }
                    Mdc.aboutServer(backend.id(), () -> LOG.infof("Backend %s changed its %s: %d", backend.id(), feature.field,
                            items.size()));
                    healthListeners.forEach(l -> l.accept(backend));
                    fireToolsChanged();
                }, failure -> LOG.debugf("Re-listing %s of %s after list_changed failed: %s", feature.field, backend.id(), failure.getMessage()));
    }

    private static void closeStream(Backend backend) {
        Runnable stream = backend.changeStream;
        backend.changeStream = null;
        if (stream != null) {
            stream.run();
        }
    }

    private void noteFailure(Backend backend, Throwable failure) {
        if (backend.closed) {
            return;
        }
        backend.consecutiveFailures++;
        if (backend.consecutiveFailures == 1 || backend.state == BackendState.READY) {
            Mdc.aboutServer(backend.id(), () -> LOG.warnf("Backend %s unhealthy, reconnecting with backoff: %s", backend.id(),
                    failure.getMessage()));
        }
        transition(backend, BackendState.UNHEALTHY, failure.getMessage());
    }

    private void scheduleProbe(Backend backend) {
        if (backend.closed) {
            return;
        }
        cancelTimer(backend);
        backend.timerId = vertx.setTimer(Math.max(1, config.probeInterval().toMillis()), t -> {
            backend.timerId = -1;
            probe(backend);
        });
    }

    /** After a good probe: a backend that offers a change stream but lost it gets a new one. */
    private void ensureStream(Backend backend) {
        if (backend.changeStream == null && backend.discoverySessionId != null && !backend.closed
                && announcesChanges(backend.capabilities) && backend.streamOffered) {
            listenForChanges(backend, new InitializedSession(backend.discoverySessionId, backend.protocolVersion, backend.capabilities));
        }
    }

    /** Pings the backend with its discovery session over a fresh connection. */
    void probe(Backend backend) {
        if (backend.closed || backend.state != BackendState.READY) {
            return;
        }
        ObjectNode ping = backend.stateless() ? request("server/discover", null) : request("ping", null); // no ping in 2026-07-28
        // Time-boxed with Mutiny, which cancels the probe (closing its connection) when it times out.
        http.post(backend.entry().url(), backend.discoverySessionId, backend.protocolVersion, ping, true, null)
                // Any answer shows the backend alive, except a 5xx error (a proxy-runner with no ready pod).
                .chain(reply -> reply.result() == null && reply.status() >= 500
                        ? Uni.createFrom().failure(reply.failure(backend.entry().url(), "probe"))
                        : Uni.createFrom().item(reply))
                .ifNoItem().after(config.connectTimeout()).failWith(() -> BackendException.timedOut("backend-probe"))
                .subscribe().with(
                        reply -> {
                            ensureStream(backend);
                            scheduleProbe(backend);
                        },
                        failure -> {
                            if (backend.closed) {
                                return;
                            }
                            if (failure instanceof BackendException be && be.kind() == BackendException.Kind.SESSION_EXPIRED) {
                                Mdc.aboutServer(backend.id(), () -> LOG.infof("Backend %s lost its session (restarted?); re-initializing",
                                        backend.id()));
                            } else {
                                noteFailure(backend, failure);
                            }
                            connect(backend);
                        });
    }

    private void transition(Backend backend, BackendState next, String error) {
        BackendState previous = backend.state;
        backend.state = next;
        backend.lastError = error;
        if (previous != next) {
            backend.stateSince = System.currentTimeMillis();
            healthListeners.forEach(l -> l.accept(backend));
        }
        if (previous != next && (previous == BackendState.READY || next == BackendState.READY)) {
            fireToolsChanged();
        }
    }

    private void fireToolsChanged() {
        toolListeners.forEach(Runnable::run);
    }

    private void cancelTimer(Backend backend) {
        long id = backend.timerId;
        if (id >= 0) {
            vertx.cancelTimer(id);
            backend.timerId = -1;
        }
    }

    private Counter connectCounter(String id) {
        return connectCounters.computeIfAbsent(id, server -> Counter.builder("manifold.broker.backend.connects")
                .description("Connect attempts per backend (initialize handshakes)")
                .tag("server", server)
                .register(registry));
    }

    /**
     * The per-server gauges that name the culprit: {@code manifold.broker.backend.up{server}} (1 when Ready) and
     * {@code manifold.broker.backend.state{server,state}} (1 for the current state). They read the live backend by
     * id, so a backend replaced by a changed entry keeps its series; {@link #forgetMetrics} removes them.
     */
    private void perServerGauges(String id) {
        serverGauges.computeIfAbsent(id, server -> {
            List<Gauge> list = new ArrayList<>();
            list.add(Gauge.builder("manifold.broker.backend.up", backends, all -> stateOf(all, server) == BackendState.READY ? 1 : 0)
                    .description("1 when the backend is Ready (its tools are served), else 0")
                    .tag("server", server)
                    .register(registry));
            for (BackendState state : BackendState.values()) {
                list.add(Gauge.builder("manifold.broker.backend.state", backends, all -> stateOf(all, server) == state ? 1 : 0)
                        .description("1 for the backend's current health state, 0 for the others")
                        .tag("server", server)
                        .tag("state", state.label())
                        .register(registry));
            }
            return list;
        });
    }

    private static BackendState stateOf(Map<String, Backend> all, String id) {
        Backend backend = all.get(id);
        return backend == null ? null : backend.state;
    }

    /**
     * Forgets the per-server meters (connect counter, up and state gauges) of a server removed from the config,
     * keeping label cardinality bounded.
     */
    public void forgetMetrics(String id) {
        Counter counter = connectCounters.remove(id);
        if (counter != null) {
            registry.remove(counter);
        }
        List<Gauge> perServer = serverGauges.remove(id);
        if (perServer != null) {
            perServer.forEach(registry::remove);
        }
    }

    // --- protocol helpers shared with the client session forwarding -------------------------------------------

    /** A JSON-RPC request with a broker-unique id. */
    public ObjectNode request(String method, JsonNode params) {
        ObjectNode node = mapper.createObjectNode();
        node.put("jsonrpc", "2.0");
        node.put("id", "mf-" + requestIds.incrementAndGet());
        node.put("method", method);
        if (params != null) {
            node.set("params", params);
        }
        return node;
    }

    /** Result of an initialize handshake. */
    public record InitializedSession(String sessionId, String protocolVersion, JsonNode capabilities) {
    }

    /**
     * Initializes a backend session (initialize + notifications/initialized). A JSON-RPC error or an answer in a
     * protocol version the broker does not speak is a permanent (protocol) failure.
     */
    public Uni<InitializedSession> initialize(String url, String protocolVersion, JsonNode clientCapabilities,
                                              boolean freshConnection) {
        ObjectNode params = mapper.createObjectNode();
        params.put("protocolVersion", protocolVersion);
        params.set("capabilities", clientCapabilities == null ? mapper.createObjectNode() : clientCapabilities);
        ObjectNode info = params.putObject("clientInfo");
        info.put("name", "manifold-broker");
        info.put("version", "0.1.0");
        return http.post(url, null, null, request("initialize", params), freshConnection, null)
                .onFailure(BackendException.class).transform(failure -> {
                    BackendException be = (BackendException) failure;
                    if (be.kind() == BackendException.Kind.PROTOCOL || (be.status() >= 400 && be.status() < 500)) {
                        return new BackendException(BackendException.Kind.PROTOCOL, be.status(),
                                "initialize failed: " + be.getMessage());
                    }
                    return be;
                })
                .chain(reply -> {
                    JsonNode result = reply.result();
                    if (result == null) {
                        return Uni.createFrom().failure(reply.failure(url, "initialize"));
                    }
                    String version = result.path("protocolVersion").asText(null);
                    if (version == null || !McpVersions.SUPPORTED.contains(version)) {
                        return Uni.createFrom().failure(new BackendException(BackendException.Kind.PROTOCOL, reply.status(),
                                url + " answered initialize with unsupported protocol version " + version));
                    }
                    ObjectNode initialized = mapper.createObjectNode();
                    initialized.put("jsonrpc", "2.0");
                    initialized.put("method", "notifications/initialized");
                    InitializedSession session = new InitializedSession(reply.sessionId(), version, result.path("capabilities"));
                    return http.post(url, reply.sessionId(), version, initialized, freshConnection, null)
                            .replaceWith(session);
                });
    }

    /**
     * For a backend that refused initialize: asks {@code server/discover} in the stateless 2026-07-28 protocol.
     * A backend that supports it is then spoken to statelessly (no session, version and capabilities in _meta).
     */
    public Uni<InitializedSession> discoverStateless(String url, boolean freshConnection) {
        return http.post(url, null, McpVersions.STATELESS, request("server/discover", null), freshConnection, null)
                .chain(reply -> {
                    JsonNode result = reply.result();
                    boolean supported = false;
                    if (result != null) {
                        for (JsonNode v : result.path("supportedVersions")) {
                            supported |= McpVersions.STATELESS.equals(v.asText());
                        }
                    }
                    if (!supported) {
                        return Uni.createFrom().failure(new BackendException(BackendException.Kind.PROTOCOL, reply.status(),
                                url + " does not offer the stateless protocol " + McpVersions.STATELESS));
                    }
                    return Uni.createFrom().item(new InitializedSession(null, McpVersions.STATELESS, result.path("capabilities")));
                });
    }

    /** Lists every tool of a backend, following nextCursor up to the configured page limit. */
    public Uni<List<ObjectNode>> listTools(String url, String sessionId, String protocolVersion, boolean freshConnection) {
        return listAll(url, sessionId, protocolVersion, freshConnection, Feature.TOOLS, null);
    }

    private Uni<List<ObjectNode>> listAll(String url, String sessionId, String protocolVersion, boolean fresh, Feature feature,
                                          java.util.concurrent.atomic.AtomicBoolean streamed) {
        List<ObjectNode> collected = new ArrayList<>();
        return listPage(url, sessionId, protocolVersion, fresh, feature, null, collected, 0, streamed);
    }

    private Uni<List<ObjectNode>> listPage(String url, String sessionId, String version, boolean fresh, Feature feature,
                                           String cursor, List<ObjectNode> collected, int page,
                                           java.util.concurrent.atomic.AtomicBoolean streamed) {
        if (page >= config.maxBackendPages()) {
            LOG.warnf("%s returned more than %d pages of %s; stopping at %d", url, config.maxBackendPages(), feature.field, collected.size());
            return Uni.createFrom().item(List.copyOf(collected));
        }
        ObjectNode params = null;
        if (cursor != null) {
            params = mapper.createObjectNode();
            params.put("cursor", cursor);
        }
        return http.post(url, sessionId, version, request(feature.method, params), fresh, null)
                .chain(reply -> {
                    if (streamed != null) {
                        streamed.set(reply.streamed());
                    }
                    JsonNode result = reply.result();
                    if (result == null) {
                        return Uni.createFrom().failure(reply.failure(url, feature.method));
                    }
                    JsonNode items = result.path(feature.field);
                    if (items instanceof ArrayNode array) {
                        array.forEach(item -> {
                            if (item instanceof ObjectNode object && object.path(feature.key).isTextual()) {
                                collected.add(object);
                            }
                        });
                    }
                    String next = result.path("nextCursor").asText(null);
                    if (next == null || next.isEmpty()) {
                        return Uni.createFrom().item(List.copyOf(collected));
                    }
                    return listPage(url, sessionId, version, fresh, feature, next, collected, page + 1, streamed);
                });
    }
}
