package dev.manifold.broker.upstream;

import dev.manifold.contracts.McpVersions;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.manifold.broker.settings.BrokerConfig;
import dev.manifold.contracts.ServerEntry;
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
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

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
    private final Map<String, Backend> backends = new ConcurrentHashMap<>();
    private final List<Runnable> toolListeners = new CopyOnWriteArrayList<>();
    private final List<java.util.function.Consumer<Backend>> healthListeners = new CopyOnWriteArrayList<>();
    private final List<java.util.function.Consumer<Backend>> closeListeners = new CopyOnWriteArrayList<>();
    private final BackendMeters meters;
    private final ChangeStreams streams;

    private final McpClient mcp;

    public BackendSupervisor(Vertx vertx, McpHttpClient http, McpClient mcp, ObjectMapper mapper, BrokerConfig config,
                             MeterRegistry registry) {
        this.vertx = vertx;
        this.http = http;
        this.mcp = mcp;
        this.mapper = mapper;
        this.config = config;
        this.meters = new BackendMeters(registry, backends);
        this.streams = new ChangeStreams(http, mcp, mapper, config, backend -> {
            healthListeners.forEach(l -> l.accept(backend));
            fireToolsChanged();
        });
    }

    /** Stops every backend's timers and unregisters gauges that read this bean. */
    @jakarta.annotation.PreDestroy
    void shutdown() {
        backends.values().forEach(b -> {
            b.closed = true;
            cancelTimer(b);
        });
        meters.close();
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
        meters.track(entry.id());
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

    /**
     * Connects these backends now if they are quarantined (a 401 to a missing or wrong credential waits out
     * {@code quarantine-interval} otherwise): their credential changed. Backends that are ready, or already
     * reconnecting with backoff, are left alone; their next connect reads the new credential anyway.
     */
    public void retryNow(java.util.Set<String> ids) {
        for (String id : ids) {
            Backend backend = backends.get(id);
            if (backend != null && !backend.closed && backend.state == BackendState.QUARANTINED) {
                Mdc.aboutServer(id, () -> LOG.infof("Backend %s: its credential changed; connecting now", id));
                connect(backend);
            }
        }
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
        streams.close(backend);
        String sid = backend.discoverySessionId;
        if (sid != null && backend.state == BackendState.READY) {
            http.deleteSession(backend.entry().url(), sid, backend.protocolVersion, null).subscribe().with(v -> {
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
        meters.connectAttempt(backend.id());
        int attempt = backend.attempts.incrementAndGet();
        String url = backend.entry().url();
        String preferred = backend.entry().protocolHint() != null ? backend.entry().protocolHint() : McpVersions.LATEST;
        Uni<McpClient.InitializedSession> handshake = McpVersions.STATELESS.equals(preferred)
                ? mcp.discoverStateless(url, true)
                : mcp.initialize(url, preferred, mcp.discoveryCapabilities(), true)
                .onFailure(f -> f instanceof BackendException be && be.kind() == BackendException.Kind.PROTOCOL)
                .recoverWithUni(failure -> mcp.discoverStateless(url, true).onFailure().transform(ignored -> failure));
        return handshake
                .chain(session -> mcp.discover(url, session, true)
                        .invoke(found -> {
                            if (backend.closed || backend.attempts.get() != attempt) {
                                // removed meanwhile, or this attempt timed out and a newer one runs
                                if (session.sessionId() != null) {
                                    http.deleteSession(url, session.sessionId(), session.protocolVersion(), null).subscribe().with(v -> {
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
                                http.deleteSession(url, oldSid, session.protocolVersion(), null).subscribe().with(v -> {
                                });
                            }
                            Mdc.aboutServer(backend.id(), () -> LOG.infof(
                                    "Backend %s ready: %d tools, %d prompts, %d resources, %d resource templates, protocol %s",
                                    backend.id(), found.tools().size(), found.prompts().size(), found.resources().size(),
                                    found.templates().size(), session.protocolVersion()));
                            transition(backend, BackendState.READY, null);
                            healthListeners.forEach(l -> l.accept(backend));
                            fireToolsChanged();
                            streams.listen(backend, session);
                        }))
                .replaceWithVoid();
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

    /** Pings the backend with its discovery session over a fresh connection. */
    void probe(Backend backend) {
        if (backend.closed || backend.state != BackendState.READY) {
            return;
        }
        ObjectNode ping = backend.stateless() ? mcp.request("server/discover", null) : mcp.request("ping", null); // no ping in 2026-07-28
        // Time-boxed with Mutiny, which cancels the probe (closing its connection) when it times out.
        http.post(backend.entry().url(), backend.discoverySessionId, backend.protocolVersion, ping, true, null)
                // Any answer shows the backend alive, except a 5xx error (a proxy-runner with no ready pod).
                .chain(reply -> reply.result() == null && reply.status() >= 500
                        ? Uni.createFrom().failure(reply.failure(backend.entry().url(), "probe"))
                        : Uni.createFrom().item(reply))
                .ifNoItem().after(config.connectTimeout()).failWith(() -> BackendException.timedOut("backend-probe"))
                .subscribe().with(
                        reply -> {
                            streams.ensure(backend);
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

    /**
     * Forgets the per-server meters (connect counter, up and state gauges) of a server removed from the config,
     * keeping label cardinality bounded.
     */
    public void forgetMetrics(String id) {
        meters.forget(id);
    }

}
