package dev.manifold.broker.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.manifold.broker.settings.BrokerConfig;
import dev.manifold.contracts.McpVersions;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The MCP client side of the broker, one exchange at a time over {@link McpHttpClient}: request ids, the
 * {@code initialize} handshake (and {@code server/discover} for stateless backends), and the lists of what a backend
 * serves, page by page. Keeps no state about backends; {@link BackendSupervisor} owns their lifecycle.
 */
@ApplicationScoped
public class McpClient {
    private static final Logger LOG = Logger.getLogger(McpClient.class);

    private final McpHttpClient http;
    private final ObjectMapper mapper;
    private final BrokerConfig config;
    private final AtomicLong requestIds = new AtomicLong();

    public McpClient(McpHttpClient http, ObjectMapper mapper, BrokerConfig config) {
        this.http = http;
        this.mapper = mapper;
        this.config = config;
    }

    /**
     * What the broker declares in its own (discovery) sessions: everything it can relay to clients. Some servers
     * offer tools only to clients that can answer sampling, elicitation or roots requests; declaring them here
     * lists those tools, and a client session gets them only if the client itself declared the capability.
     */
    ObjectNode discoveryCapabilities() {
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

    Uni<Discovery> discover(String url, InitializedSession session, boolean fresh) {
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
    Uni<List<ObjectNode>> listFeature(String url, InitializedSession session, boolean fresh, Feature feature,
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
        return initialize(url, protocolVersion, clientCapabilities, freshConnection, null);
    }

    /** {@link #initialize}, for a client session: {@code client} is the token of the client's request. */
    public Uni<InitializedSession> initialize(String url, String protocolVersion, JsonNode clientCapabilities,
                                              boolean freshConnection, dev.manifold.broker.credentials.ClientToken client) {
        ObjectNode params = mapper.createObjectNode();
        params.put("protocolVersion", protocolVersion);
        params.set("capabilities", clientCapabilities == null ? mapper.createObjectNode() : clientCapabilities);
        ObjectNode info = params.putObject("clientInfo");
        info.put("name", "manifold-broker");
        info.put("version", "0.1.0");
        return http.post(url, null, null, request("initialize", params), freshConnection, null, client)
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
                    return http.post(url, reply.sessionId(), version, initialized, freshConnection, null, client)
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

    Uni<List<ObjectNode>> listAll(String url, String sessionId, String protocolVersion, boolean fresh, Feature feature,
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
