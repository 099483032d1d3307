package dev.manifold.proxy;

import dev.manifold.contracts.GatewayConfigMap;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Every setting of the proxy-runner, prefix {@code manifold.proxy}. Standalone mode is selected by setting
 * {@link #routesFile()}; without it the proxy-runner runs in Kubernetes mode.
 */
@ConfigMapping(prefix = "manifold.proxy")
public interface ProxyConfig {

    /** Where sessions are kept. */
    enum SessionStoreKind {
        /** Redis: sessions survive restarts and are shared by replicas (required for more than one replica). */
        REDIS,
        /** Process memory: for a single standalone replica; sessions die with the process. */
        MEMORY
    }

    /**
     * Standalone mode: a YAML file listing routes and their pods (env {@code MANIFOLD_PROXY_ROUTES_FILE}). When
     * absent the proxy-runner reads the published GatewayConfig and EndpointSlices (Kubernetes mode).
     */
    Optional<Path> routesFile();

    /** How often the routes file is checked for changes; a changed, valid file replaces the routes without dropping sessions. */
    @WithDefault("2s")
    Duration routesReloadInterval();

    /** Session store: {@code redis} or {@code memory}. */
    @WithDefault("redis")
    SessionStoreKind sessionStore();

    /** Redis key prefix shared with the other Manifold services ({@code <prefix>:proxy:session:<sid>} etc.). */
    @WithDefault("manifold")
    String redisPrefix();

    /** Sliding idle lifetime of a session: every use extends it (GETEX) up to this long. */
    @WithDefault("2h")
    Duration sessionTtl();

    /**
     * A locally cached session is used without any Redis operation while it was confirmed within this interval;
     * after that the next request refreshes it with one GETEX (which also slides the TTL).
     */
    @WithDefault("60s")
    Duration sessionRefreshInterval();

    /** Maximum number of sessions kept in the local cache. */
    @WithDefault("200000")
    long sessionCacheSize();

    /** Upper bound for one Redis operation; past it the request fails with 503 instead of waiting. */
    @WithDefault("500ms")
    Duration redisTimeout();

    /** Largest accepted request body; larger bodies get 413. */
    @WithDefault("4M")
    io.quarkus.runtime.configuration.MemorySize maxBodySize();

    /**
     * Deepest nesting of arrays and objects in a body the proxy-runner parses (an initialize, a message without a
     * session); deeper gets 400 with JSON-RPC {@code -32700}. Jackson's own default. Follow-ups are not parsed.
     */
    @WithDefault("1000")
    int maxJsonDepth();

    /**
     * Largest accepted {@code initialize} body: it is stored with the session (Redis and memory) for replays on
     * another pod, so a larger one gets 413 and no session.
     */
    @WithDefault("64K")
    io.quarkus.runtime.configuration.MemorySize maxInitializeSize();

    /**
     * Readiness is DOWN while the heap, measured after the last garbage collection, is fuller than this fraction
     * of its maximum: a replica that is running out of memory stops getting new traffic.
     */
    @WithDefault("0.9")
    double heapReadyThreshold();

    /** TCP connect timeout to a pod; a failed connect counts as pod loss. */
    @WithDefault("2s")
    Duration connectTimeout();

    /** Time to wait for a pod's response headers (not for the body: streams may stay open for hours). */
    @WithDefault("60s")
    Duration responseTimeout();

    /** After a failed connect a pod is not picked for new sessions for this long. */
    @WithDefault("5s")
    Duration podEjection();

    /**
     * Maximum pooled connections per pod, in total: split evenly across the event loops (each loop keeps its own
     * pool so an exchange never hops threads).
     */
    @WithDefault("200")
    int maxConnectionsPerPod();

    /**
     * Maximum connections per pod held by GET streams (the server-to-client SSE stream of a session), in total,
     * split across the event loops like max-connections-per-pod. GET streams have their own pool: however many a
     * client opens and never reads, requests keep max-connections-per-pod to themselves. One more stream waits up to
     * pool-wait-timeout, then gets 503.
     */
    @WithDefault("1000")
    int maxStreamsPerPod();

    /**
     * OAuth mode: live sessions one principal ({@code iss} + {@code sub}) may hold, across all replicas (counted in
     * Redis; in memory with session-store=memory). One more initialize gets HTTP 429 with JSON-RPC error -32013 and
     * never reaches a pod. {@code 0}: no limit. Anonymous callers cannot be told apart and are not limited.
     */
    @WithDefault("100")
    int maxSessionsPerPrincipal();

    /**
     * OAuth mode: new sessions one principal may open per minute, across all replicas; one more gets 429 like
     * max-sessions-per-principal. {@code 0}: no limit.
     */
    @WithDefault("60")
    int maxNewSessionsPerMinute();

    /**
     * Open GET streams per session on one proxy-runner replica. One more gets HTTP 429 with JSON-RPC error -32013 and
     * is not forwarded; closing one makes room.
     */
    @WithDefault("4")
    int maxStreamsPerSession();

    /**
     * Longest wait for a connection to a pod when all of its pooled connections are busy (open POST streams count:
     * each holds one); then the request is answered 503 with Retry-After and never sent. At least connect-timeout + 1s,
     * so a pod that does not answer a TCP connect is still told apart (pod loss) from a busy one.
     */
    @WithDefault("5s")
    Duration poolWaitTimeout();

    /** Kubernetes mode: how often the GatewayConfig is re-read even without a change notification. */
    @WithDefault("60s")
    Duration configResync();

    /** Kubernetes mode: namespace of the ConfigMap holding the GatewayConfig (fallback when Redis has none). */
    Optional<String> configMapNamespace();

    /** Kubernetes mode: name of the ConfigMap holding the GatewayConfig. */
    @WithDefault(GatewayConfigMap.DEFAULT_NAME)
    String configMapName();

    /** Kubernetes mode: DNS suffix of the cluster, used to build pod addresses {@code <host>.<svc>.<ns>.svc.<suffix>}. */
    @WithDefault("cluster.local")
    String clusterDomain();

    /**
     * Allowed values of the Origin header besides loopback origins (DNS-rebinding protection); {@code *} for any.
     * Requests without Origin (the broker, MCP clients) are allowed.
     */
    Optional<java.util.List<String>> allowedOrigins();

    /**
     * Allowed values of the Host header, without port; {@code *} for any. Unset: loopback names only in standalone
     * mode, any host in Kubernetes mode (the broker reaches the proxy-runner through its Service name).
     */
    Optional<java.util.List<String>> allowedHosts();

    /** OAuth resource-server mode ({@code auth.mode=oauth}) and its issuer; anonymous by default (README). */
    dev.manifold.runtime.auth.AuthConfig auth();
}
