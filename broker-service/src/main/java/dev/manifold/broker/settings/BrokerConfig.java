package dev.manifold.broker.settings;

import dev.manifold.contracts.GatewayConfigMap;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Every setting of the broker, under {@code manifold.broker}. Each key is listed in the module README.
 */
@ConfigMapping(prefix = "manifold.broker")
public interface BrokerConfig {

    /**
     * Standalone mode: path of the YAML file listing the backends (env {@code MANIFOLD_BROKER_CONFIG_FILE}).
     * The file is watched and never written by the broker.
     */
    Optional<String> configFile();

    /**
     * Prefix of every Redis key and channel (Kubernetes mode), so several installs can share one Redis. Must match
     * the controller's and the proxy-runner's.
     */
    @WithDefault("manifold")
    String redisPrefix();

    /** Kubernetes mode: name of the ConfigMap the controller publishes, read when Redis has no config. */
    @WithDefault(GatewayConfigMap.DEFAULT_NAME)
    String configMapName();

    /** Kubernetes mode: namespace of that ConfigMap; defaults to the namespace the broker runs in. */
    Optional<String> configMapNamespace();

    /**
     * Base URL of the proxy-runner Service (env {@code MANIFOLD_BROKER_PROXY_RUNNER_URL}), for example
     * {@code http://manifold-proxy-runner.manifold-system.svc:8080}. A server the controller runs as a workload has
     * no URL of its own: the broker reaches it at {@code <this>/<namespace>/<name>/mcp}, for discovery, probes,
     * client sessions, streams and deletes alike. Unset: workload servers stay Unhealthy, saying so.
     */
    Optional<String> proxyRunnerUrl();

    /** Time-to-live of a client session record in Redis, renewed on use (sliding). */
    @WithDefault("2h")
    Duration sessionTtl();

    /** Quiet period after the last change to the config file before it is read and applied. */
    @WithDefault("500ms")
    Duration configDebounce();

    /**
     * Standalone mode: the config file is applied only once two reads this far apart found it unchanged (size,
     * modification time and content hash), so a file being written in place is never applied half-way.
     */
    @WithDefault("1s")
    Duration configSettle();

    /**
     * Slow periodic re-read of the config source, in case a change notification was lost. A re-read whose
     * version equals the applied one changes nothing.
     */
    @WithDefault("60s")
    Duration configResyncInterval();

    /** Upper bound for one connect attempt to a backend (initialize, initialized and the first tools/list). */
    @WithDefault("5s")
    Duration connectTimeout();

    /**
     * After the first config is applied, readiness waits until every enabled backend has finished its first connect
     * attempt (Ready, Unhealthy or Quarantined, no longer Pending), so a new replica does not take traffic while its
     * tool list is still empty; never longer than this. {@code 0s}: ready as soon as a config is applied.
     */
    @WithDefault("10s")
    Duration readinessDiscoveryWait();

    /** Upper bound for one forwarded client request (tools/call and friends) to a backend. */
    @WithDefault("60s")
    Duration callTimeout();

    /** Interval between health probes of a Ready backend. */
    @WithDefault("10s")
    Duration probeInterval();

    /** First reconnect delay after a transient failure; doubles per failure up to {@link #backoffMax()}. */
    @WithDefault("500ms")
    Duration backoffInitial();

    /** Cap of the reconnect delay; the effective cap is never above {@link #probeInterval()}. */
    @WithDefault("10s")
    Duration backoffMax();

    /** Random jitter added to or removed from each reconnect delay. */
    @WithDefault("250ms")
    Duration backoffJitter();

    /**
     * Re-probe interval for a quarantined backend: one that failed permanently (401/403 without credentials,
     * 404 on initialize, protocol mismatch). It is not retried in a storm.
     */
    @WithDefault("5m")
    Duration quarantineInterval();

    /** Maximum pooled connections per backend host for forwarded requests. */
    @WithDefault("64")
    int backendPoolSize();

    /** Number of tools per page offered to clients in tools/list. */
    @WithDefault("100")
    int pageSize();

    /** Maximum backend tools/list pages followed per backend (guards against a backend that never ends). */
    @WithDefault("100")
    int maxBackendPages();

    /** Maximum size of a client request body. */
    @WithDefault("4M")
    io.quarkus.runtime.configuration.MemorySize maxRequestBody();

    /**
     * Deepest nesting of arrays and objects in any JSON the broker reads (client bodies, backend answers); deeper
     * gets 400 with JSON-RPC {@code -32700}. Jackson's own default.
     */
    @WithDefault("1000")
    int maxJsonDepth();

    /**
     * OAuth mode: live client sessions one principal ({@code iss} + {@code sub}) may hold, across all replicas
     * (counted in Redis; in memory in standalone mode). One more initialize gets HTTP 429 with JSON-RPC error -32013.
     * {@code 0}: no limit. Anonymous callers cannot be told apart and are not limited.
     */
    @WithDefault("100")
    int maxSessionsPerPrincipal();

    /**
     * OAuth mode: new client sessions one principal may open per minute, across all replicas; one more gets 429 like
     * max-sessions-per-principal. {@code 0}: no limit.
     */
    @WithDefault("60")
    int maxNewSessionsPerMinute();

    /** Most client sessions held in memory by one replica; the least recently used beyond it are dropped. */
    @WithDefault("100000")
    long maxSessions();

    /** A client session unused for this long is closed, with its backend sessions. */
    @WithDefault("2h")
    Duration sessionIdleTimeout();

    /** Window in which several tool-set changes are coalesced into one notifications/tools/list_changed. */
    @WithDefault("200ms")
    Duration listChangedCoalesce();

    /**
     * Allowed values of the Origin header (DNS-rebinding protection). Requests without Origin are allowed;
     * loopback origins are always allowed. Use {@code *} to allow any origin.
     */
    Optional<List<String>> allowedOrigins();

    /**
     * Allowed values of the Host header, without port (DNS-rebinding protection); {@code *} for any. Unset: loopback
     * names only in standalone mode (the laptop case), any host in Kubernetes mode.
     */
    Optional<List<String>> allowedHosts();

    /**
     * How long a server-to-client request (sampling, elicitation, roots) relayed to a client may wait for the
     * client's answer; then the backend gets a timeout error and the client a notifications/cancelled.
     */
    @WithDefault("5m")
    Duration serverRequestTimeout();

    /**
     * Requests of one client session forwarded to backends and not yet answered. One more gets HTTP 429 with
     * JSON-RPC error -32013 and reaches no backend; the client may retry once one ends.
     */
    @WithDefault("64")
    int maxInFlightPerSession();

    /**
     * Server-to-client requests (sampling, elicitation, roots) relayed to one client session and not yet answered.
     * One more is refused to the backend that sent it with JSON-RPC error -32013, and never reaches the client.
     */
    @WithDefault("32")
    int maxPendingServerRequests();

    /**
     * Finished SSE streams (one per POST answered with SSE) one client session keeps for resumption with
     * Last-Event-ID, besides those still answering a request (bounded by max-in-flight-per-session). Beyond it the
     * oldest are dropped, and a client resuming one of those gets no replay.
     */
    @WithDefault("32")
    int maxStreamsPerSession();

    /** Events kept per client SSE stream for resumption with Last-Event-ID. */
    @WithDefault("100")
    int streamReplayEvents();

    /** How long an undelivered (disconnected) POST stream is kept for the client to resume it. */
    @WithDefault("5m")
    Duration streamReplayTtl();

    /**
     * How the broker answers what it answers itself (initialize, ping, lists) to clients that accept both JSON and
     * SSE: {@code auto} answers like the backends do (SSE when every backend answered the broker's own listing
     * with a stream, as SDK servers do by default), {@code json} or {@code sse} always.
     */
    @WithDefault("auto")
    String localResponses();

    /**
     * Client capabilities the broker declares in its own sessions with backends, where it discovers what they
     * serve: any of {@code sampling}, {@code elicitation}, {@code roots}. Some servers list certain tools only to
     * clients declaring them; a client session declares the client's own capabilities, so such a tool works for
     * clients that can answer its requests. Set to {@code none} to list what a client without capabilities sees.
     */
    @WithDefault("sampling,elicitation,roots")
    List<String> discoveryCapabilities();

    /**
     * A forwarded request whose backend answers with a stream is answered to the client as JSON when the answer
     * comes alone within this time (most calls: one write, nothing for the client to parse as a stream). When the
     * backend sends anything before its answer, or the answer takes longer, the client gets an SSE stream (with the
     * priming event for 2025-11-25, so it can resume). {@code 0} opens the stream at once, mirroring the backend.
     */
    @WithDefault("200ms")
    Duration streamOpenDelay();

    /**
     * How often an SSE comment ({@code : keepalive}) is written on every open client stream, so a quiet stream is
     * never closed by the HTTP idle timeout ({@code quarkus.http.idle-timeout}, 5m) or by a proxy in between.
     * Keep it well below both; {@code 0} turns it off.
     */
    @WithDefault("30s")
    Duration sseHeartbeatInterval();

    /** The SSE retry hint (milliseconds) in the priming event sent to 2025-11-25 clients. */
    @WithDefault("1s")
    Duration sseRetry();

    /** OAuth resource-server mode ({@code auth.mode=oauth}) and its issuer; anonymous by default (README). */
    dev.manifold.runtime.auth.AuthConfig auth();

    /** The broker as an OAuth client for servers with {@code tokenExchange} (RFC 8693). */
    TokenExchangeClient tokenExchange();

    /** {@code manifold.broker.token-exchange.*}. */
    interface TokenExchangeClient {
        /**
         * The broker's client id at the token endpoints of servers with {@code tokenExchange}. Unset: such servers'
         * client requests fail, saying this key is missing.
         */
        Optional<String> clientId();

        /**
         * The broker's client secret (env {@code MANIFOLD_BROKER_TOKEN_EXCHANGE_CLIENT_SECRET}, from a Secret), sent
         * with HTTP Basic authentication. Unset: the broker authenticates as a public client (its id only).
         */
        Optional<String> clientSecret();

        /**
         * Globs over the token endpoints the broker may exchange callers' tokens at, for example
         * {@code https://login.example.com/oauth2/token}. An endpoint receives every caller's token and the broker's
         * client secret, so a server's {@code tokenExchange} at any other endpoint is refused. Unset: none.
         */
        Optional<List<String>> allowedEndpoints();

        /**
         * Globs over the audiences a server's {@code tokenExchange} may ask for besides the server's own URL (the
         * default audience). Unset: only the server's URL.
         */
        Optional<List<String>> allowedAudiences();

        /** An exchanged token is used until this long before it expires, then exchanged again. */
        @WithDefault("30s")
        Duration expirySkew();

        /**
         * An exchanged token is kept at most this long, even when it lives longer; one whose lifetime is unknown (no
         * {@code expires_in}, and not a JWT with {@code exp}) is not kept.
         */
        @WithDefault("1h")
        Duration maxLifetime();

        /** Exchanged tokens kept, one per caller and server; the least recently used go first. */
        @WithDefault("10000")
        int cacheSize();

        /** How long an exchange may take before the client's request fails. */
        @WithDefault("10s")
        Duration timeout();
    }
}
