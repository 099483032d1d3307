package dev.manifold.broker.rpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.manifold.broker.catalog.Aggregator;
import dev.manifold.broker.relay.Relay;
import dev.manifold.broker.relay.ServerMessages;
import dev.manifold.broker.reply.Exchange;
import dev.manifold.broker.settings.BrokerConfig;
import dev.manifold.broker.upstream.Backend;
import dev.manifold.broker.upstream.BackendException;
import dev.manifold.broker.upstream.BackendState;
import dev.manifold.broker.upstream.BackendSupervisor;
import dev.manifold.broker.upstream.JsonRpc;
import dev.manifold.broker.upstream.McpClient;
import dev.manifold.broker.upstream.McpHttpClient;
import dev.manifold.contracts.JsonRpcErrors;
import dev.manifold.contracts.McpHeaders;
import dev.manifold.contracts.McpVersions;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.Objects;

/**
 * Requests of the stateless 2026-07-28 protocol: no session; the version and the routing headers are checked,
 * discovery and lists answered here, the rest forwarded through the broker's own session with the owning backend.
 */
@ApplicationScoped
public class StatelessRequests {
    private static final Logger LOG = Logger.getLogger(StatelessRequests.class);

    private final ObjectMapper mapper;
    private final BrokerConfig config;
    private final McpHttpClient http;
    private final BackendSupervisor supervisor;
    private final McpClient mcp;
    private final Aggregator aggregator;
    private final Routing routing;
    private final Lists lists;
    private final Capabilities capabilities;
    private final ServerMessages messages;

    public StatelessRequests(ObjectMapper mapper, BrokerConfig config, McpHttpClient http, BackendSupervisor supervisor,
                             McpClient mcp,
                             Aggregator aggregator, Routing routing, Lists lists, Capabilities capabilities,
                             ServerMessages messages) {
        this.mapper = mapper;
        this.config = config;
        this.http = http;
        this.supervisor = supervisor;
        this.mcp = mcp;
        this.aggregator = aggregator;
        this.routing = routing;
        this.lists = lists;
        this.capabilities = capabilities;
        this.messages = messages;
    }

    /**
     * A request of the stateless protocol: checks the version and the routing headers, answers discovery and
     * lists itself, and forwards the rest through the broker's own session with the owning backend (a stateful
     * backend) or statelessly (a stateless backend). Server-to-client requests cannot reach a stateless client
     * and are refused to the backend.
     */
    public void handle(Exchange ex, JsonNode id, String method, ObjectNode params) {
        ex.method = "stateless";
        String header = ex.ctx.request().getHeader(McpHeaders.PROTOCOL_VERSION);
        String metaVersion = params == null ? null : params.path("_meta").path(McpVersions.META_PROTOCOL_VERSION).asText(null);
        if (header != null && metaVersion != null && !header.equals(metaVersion)) {
            ex.reply(400, JsonRpc.error(id, JsonRpcErrors.HEADER_MISMATCH, "Header mismatch: MCP-Protocol-Version " + header
                    + " does not match _meta " + McpVersions.META_PROTOCOL_VERSION + " " + metaVersion), "rejected");
            return;
        }
        String version = metaVersion != null ? metaVersion : header;
        if (version != null && !McpVersions.STATELESS.equals(version)) {
            ObjectNode error = JsonRpc.error(id, JsonRpcErrors.UNSUPPORTED_PROTOCOL_VERSION,
                    "Unsupported protocol version " + version + " without a session: initialize first, or use " + McpVersions.STATELESS);
            ObjectNode data = ((ObjectNode) error.get("error")).putObject("data");
            data.put("requested", version);
            ArrayNode supported = data.putArray("supported");
            McpVersions.ALL.forEach(supported::add);
            ex.reply(400, error, "rejected");
            return;
        }
        String methodHeader = ex.ctx.request().getHeader(McpHeaders.METHOD);
        if (!method.equals(methodHeader)) {
            ex.reply(400, JsonRpc.error(id, JsonRpcErrors.HEADER_MISMATCH, methodHeader == null
                    ? "Header mismatch: Mcp-Method header is required"
                    : "Header mismatch: Mcp-Method " + methodHeader + " does not match method " + method), "rejected");
            return;
        }
        String name = McpVersions.nameOf(method, params);
        String nameHeader = ex.ctx.request().getHeader(McpHeaders.NAME);
        if (!Objects.equals(name, nameHeader)) {
            ex.reply(400, JsonRpc.error(id, JsonRpcErrors.HEADER_MISMATCH, nameHeader == null
                    ? "Header mismatch: Mcp-Name header is required for " + method
                    : "Header mismatch: Mcp-Name " + nameHeader + " does not match the request"), "rejected");
            return;
        }
        if (id == null) {
            ex.accepted(); // notifications carry nothing a stateless exchange could act on
            return;
        }
        ObjectNode p = params == null ? mapper.createObjectNode() : params; // this request's own: rewritten in place
        switch (method) {
            case "server/discover" -> {
                ObjectNode result = mapper.createObjectNode();
                result.put("resultType", "complete");
                ArrayNode supported = result.putArray("supportedVersions");
                McpVersions.ALL.forEach(supported::add);
                result.set("capabilities", capabilities.advertised());
                ObjectNode info = result.putObject("serverInfo");
                info.put("name", "manifold-broker");
                info.put("version", "0.1.0");
                ex.reply(200, JsonRpc.result(id, result), "ok");
            }
            case "tools/list" -> lists.listTools(ex, null, id, p);
            case "prompts/list" -> lists.listFeature(ex, null, id, p, aggregator.features().prompts(), "prompts");
            case "resources/list" -> lists.listFeature(ex, null, id, p, aggregator.features().resources(), "resources");
            case "resources/templates/list" -> lists.listFeature(ex, null, id, p, aggregator.features().templates(), "resourceTemplates");
            case "initialize", "ping", "logging/setLevel", "resources/subscribe", "resources/unsubscribe" ->
                    ex.reply(200, JsonRpc.error(id, JsonRpcErrors.METHOD_NOT_FOUND, "Method not found: " + method
                            + " is not part of the stateless " + McpVersions.STATELESS + " protocol"), "error");
            default -> {
                Routing.Target target = routing.route(method, p);
                if (target.error != null) {
                    ex.reply(200, JsonRpc.error(id, target.errorCode, target.error), "error");
                } else {
                    forwardStateless(ex, id, target.serverId, method, p, target.resultUris);
                }
            }
        }
    }

    private void forwardStateless(Exchange ex, JsonNode clientId, String serverId, String method, ObjectNode params,
                                  boolean resultUris) {
        Dispatcher.routedTo(serverId);
        Backend backend = supervisor.get(serverId);
        if (backend == null || backend.state() != BackendState.READY) {
            ex.reply(200, JsonRpc.error(clientId, JsonRpcErrors.BACKEND_UNAVAILABLE, "Server '" + serverId + "' is unavailable"), "backend_error");
            return;
        }
        if (!backend.stateless() && backend.entry().usesClientToken()) {
            // A stateless request to a session-based server rides the broker's own session there: never with a
            // caller's token (the session is not the caller's), and never with the broker's credential instead.
            ex.reply(200, JsonRpc.error(clientId, JsonRpcErrors.INVALID_REQUEST, "Server '" + serverId + "' acts on the "
                    + "caller's own token and is reached only within a session: initialize one"), "rejected");
            return;
        }
        if (!backend.stateless() && params.get("_meta") instanceof ObjectNode meta) {
            meta.remove(List.of(McpVersions.META_PROTOCOL_VERSION, McpVersions.META_CLIENT_CAPABILITIES, McpVersions.META_CLIENT_INFO));
            if (meta.isEmpty()) {
                params.remove("_meta");
            }
        }
        ObjectNode request = mcp.request(method, params);
        Relay relay = messages.relay(ex, null, backend);
        http.post(backend.entry().url(), backend.discoverySessionId(), backend.protocolVersion(), request, false, relay, ex.client)
                // the time-box cancels the exchange (resetting its request); the backend is told to stop too
                .ifNoItem().after(config.callTimeout()).recoverWithUni(() -> {
                    ObjectNode cancel = JsonRpc.cancelled(request.get("id"), "timed out: no answer within " + config.callTimeout());
                    http.post(backend.entry().url(), backend.discoverySessionId(), backend.protocolVersion(), cancel, false, null, ex.client)
                            .subscribe().with(r -> {
                            }, f -> LOG.debugf("Cancelling %s on %s failed: %s", request.get("id"), serverId, f.getMessage()));
                    return Uni.createFrom().failure(BackendException.timedOut("backend-call"));
                })
                .subscribe().with(reply -> {
                    JsonNode answer = reply.message();
                    if (answer == null) {
                        relay.complete(JsonRpc.error(clientId, JsonRpcErrors.BACKEND_UNAVAILABLE, "Server '" + serverId + "' sent no answer"), "backend_error");
                        return;
                    }
                    ObjectNode out = JsonRpc.readdress(answer, clientId);
                    if (out.get("result") instanceof ObjectNode result) {
                        Lists.stamp(null, result);
                        if (resultUris && result.path("contents") instanceof ArrayNode contents) {
                            contents.forEach(c -> {
                                if (c instanceof ObjectNode item && item.path("uri").isTextual()) {
                                    item.put("uri", aggregator.features().exposeUri(serverId, item.get("uri").asText()));
                                }
                            });
                        }
                    }
                    relay.complete(out, answer.has("error") ? "error" : "ok");
                }, failure -> relay.complete(JsonRpc.error(clientId, JsonRpcErrors.BACKEND_UNAVAILABLE,
                        "Server '" + serverId + "' is unavailable: " + failure.getMessage()), "backend_error"));
    }
}
