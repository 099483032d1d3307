package dev.manifold.broker.session;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.manifold.broker.catalog.Aggregator;
import dev.manifold.broker.upstream.Backend;
import dev.manifold.broker.upstream.BackendEndpoints;
import dev.manifold.broker.upstream.BackendSupervisor;
import dev.manifold.broker.upstream.McpClient;
import dev.manifold.broker.upstream.McpHttpClient;
import dev.manifold.broker.upstream.McpReply;
import dev.manifold.broker.credentials.BackendCredentials;
import dev.manifold.broker.settings.BrokerConfig;
import dev.manifold.broker.gateway.ConfigApplier;
import dev.manifold.contracts.GatewayConfig;
import dev.manifold.contracts.GatewayConfigCodec;
import dev.manifold.contracts.PrefixMode;
import dev.manifold.contracts.ServerEntry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.smallrye.config.WithDefault;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The broker's config and session path without Quarkus, HTTP or Redis, for unit tests and the removal benchmark:
 * the real {@link ConfigApplier}, {@link BackendSupervisor} and {@link ClientSessions} (standalone mode), over a
 * backend client that answers in memory and records the backend sessions it is asked to DELETE. Servers are
 * configured disabled, so nothing connects or probes them; client sessions still open backend sessions with them
 * through {@link BackendSessions#forward}, as a tools/call would.
 */
public final class OfflineBroker implements AutoCloseable {
    private static final String PROTOCOL = "2025-06-18";

    public final Vertx vertx = Vertx.vertx();
    public final ObjectMapper mapper = new ObjectMapper();
    public final BrokerConfig config;
    public final InMemoryBackends http;
    public final BackendSupervisor supervisor;
    public final ConfigApplier applier;
    public final ClientSessions sessions;
    public final BackendSessions backendSessions;

    /** @param settings {@code manifold.broker.*} keys (without the prefix) over the defaults */
    public OfflineBroker(Map<String, String> settings) {
        Map<String, String> all = new java.util.HashMap<>(settings);
        all.putIfAbsent("config-file", "offline.yaml"); // standalone mode: sessions in memory, no Redis
        config = config(all);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        BackendCredentials credentials = new BackendCredentials(() -> null, true);
        http = new InMemoryBackends(vertx, mapper, config, credentials);
        McpClient mcp = new McpClient(http, mapper, config);
        supervisor = new BackendSupervisor(vertx, http, mcp, mapper, config, registry);
        applier = new ConfigApplier(supervisor, new BackendEndpoints(config), new Aggregator(supervisor, registry),
                credentials, registry);
        sessions = new ClientSessions(supervisor, http, mapper, null, null, config, registry, vertx);
        backendSessions = new BackendSessions(sessions, supervisor, mcp, http, config, registry);
    }

    /** Applies a config with exactly these (disabled) servers. */
    public ConfigApplier.Outcome apply(List<String> serverIds) {
        List<ServerEntry> entries = new ArrayList<>();
        for (String id : serverIds) {
            entries.add(new ServerEntry(id, id + "_", "http://127.0.0.1:9/" + id + "/mcp", false, null, null, null, null));
        }
        GatewayConfig next = GatewayConfigCodec.build(PrefixMode.ALWAYS, entries);
        return applier.apply(next);
    }

    /** A new client session. */
    public ClientSession session() {
        return sessions.create(PROTOCOL, null, null, "anonymous").await().indefinitely();
    }

    /** Forwards one request from the session to the server, which opens the session's backend session with it. */
    public String use(ClientSession session, String serverId) {
        Backend backend = supervisor.get(serverId);
        ObjectNode call = mapper.createObjectNode().put("jsonrpc", "2.0").put("id", 1).put("method", "tools/call");
        backendSessions.forward(session, backend, call, null, null).await().indefinitely();
        return session.openBackends.get(backend.key()).sessionId();
    }

    @Override
    public void close() {
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    /** A backend client that answers every request at once and records DELETEd backend session ids. */
    public static final class InMemoryBackends extends McpHttpClient {
        private final ObjectMapper mapper;
        private final AtomicLong sessionIds = new AtomicLong();
        public final Set<String> deleted = ConcurrentHashMap.newKeySet();

        InMemoryBackends(Vertx vertx, ObjectMapper mapper, BrokerConfig config, BackendCredentials credentials) {
            super(vertx, mapper, config, new dev.manifold.broker.upstream.HopTracing(io.opentelemetry.api.OpenTelemetry.noop()),
                    credentials);
            this.mapper = mapper;
        }

        @Override
        public Uni<McpReply> post(String url, String sessionId, String protocolVersion, JsonNode message,
                                  boolean freshConnection, ReplyStream onOther,
                                  dev.manifold.broker.credentials.ClientToken client) {
            if (!message.has("id")) {
                return Uni.createFrom().item(new McpReply(202, sessionId, null));
            }
            ObjectNode reply = mapper.createObjectNode().put("jsonrpc", "2.0");
            reply.set("id", message.get("id"));
            ObjectNode result = reply.putObject("result");
            String sid = sessionId;
            if ("initialize".equals(message.path("method").asText())) {
                result.put("protocolVersion", message.path("params").path("protocolVersion").asText(PROTOCOL));
                result.putObject("capabilities");
                sid = "bs-" + sessionIds.incrementAndGet();
            }
            return Uni.createFrom().item(new McpReply(200, sid, reply));
        }

        @Override
        public Uni<Void> deleteSession(String url, String sessionId, String protocolVersion,
                                       dev.manifold.broker.credentials.ClientToken client) {
            deleted.add(sessionId);
            return Uni.createFrom().voidItem();
        }
    }

    /** A {@link BrokerConfig} with the declared defaults, over which {@code settings} win. */
    private static BrokerConfig config(Map<String, String> settings) {
        return (BrokerConfig) Proxy.newProxyInstance(BrokerConfig.class.getClassLoader(), new Class<?>[]{BrokerConfig.class},
                (proxy, method, args) -> {
                    if (method.getDeclaringClass() == Object.class) {
                        return switch (method.getName()) {
                            case "hashCode" -> System.identityHashCode(proxy);
                            case "equals" -> proxy == args[0];
                            default -> "OfflineBroker.config" + settings;
                        };
                    }
                    String key = method.getName().replaceAll("([A-Z])", "-$1").toLowerCase();
                    WithDefault fallback = method.getAnnotation(WithDefault.class);
                    String value = settings.getOrDefault(key, fallback == null ? null : fallback.value());
                    Class<?> type = method.getReturnType();
                    if (type == Optional.class) {
                        return Optional.ofNullable(value);
                    }
                    if (value == null) {
                        throw new IllegalStateException("no value for " + key);
                    }
                    if (type == Duration.class) {
                        return duration(value);
                    } else if (type == int.class) {
                        return Integer.parseInt(value);
                    } else if (type == long.class) {
                        return Long.parseLong(value);
                    } else if (type == List.class) {
                        return Arrays.asList(value.split(","));
                    } else if (type == String.class) {
                        return value;
                    }
                    throw new UnsupportedOperationException(key + " (" + type.getSimpleName() + ") is not needed offline");
                });
    }

    private static Duration duration(String value) {
        Matcher m = Pattern.compile("(\\d+)(ms|s|m|h)").matcher(value);
        if (!m.matches()) {
            throw new IllegalArgumentException("duration " + value);
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
        };
    }
}
