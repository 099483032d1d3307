package dev.manifold.broker.rpc;

import dev.manifold.broker.settings.BrokerConfig;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.manifold.broker.catalog.Aggregator;
import dev.manifold.broker.catalog.FeatureCatalog;
import dev.manifold.broker.relay.Relay;
import dev.manifold.broker.relay.ServerMessages;
import dev.manifold.broker.reply.Exchange;
import dev.manifold.broker.session.ClientSession;
import dev.manifold.broker.session.BackendSessions;
import dev.manifold.broker.telemetry.Mdc;
import dev.manifold.broker.upstream.Backend;
import dev.manifold.broker.upstream.BackendState;
import dev.manifold.broker.upstream.BackendSupervisor;
import dev.manifold.broker.upstream.JsonRpc;
import dev.manifold.broker.upstream.McpClient;
import dev.manifold.contracts.JsonRpcErrors;
import dev.manifold.contracts.Telemetry;
import io.opentelemetry.api.trace.Span;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A request of a client session, by method: lists and ping answered from the aggregate, {@code logging/setLevel}
 * fanned out, everything else routed to the backend that owns it and forwarded within the client's session there.
 */
@ApplicationScoped
public class Dispatcher {
    private static final Logger LOG = Logger.getLogger(Dispatcher.class);

    private final ObjectMapper mapper;
    private final BackendSessions backendSessions;
    private final BackendSupervisor supervisor;
    private final McpClient mcp;
    private final Aggregator aggregator;
    private final Routing routing;
    private final Lists lists;
    private final ServerMessages messages;
    private final AtomicLong progressIds = new AtomicLong();
    private final BrokerConfig config;

    public Dispatcher(ObjectMapper mapper, BackendSessions backendSessions, BackendSupervisor supervisor, McpClient mcp,
                      Aggregator aggregator,
                      Routing routing, Lists lists, ServerMessages messages, BrokerConfig config) {
        this.config = config;
        this.mapper = mapper;
        this.backendSessions = backendSessions;
        this.supervisor = supervisor;
        this.mcp = mcp;
        this.aggregator = aggregator;
        this.routing = routing;
        this.lists = lists;
        this.messages = messages;
    }

    /** A request of a session: answered here (lists, ping) or routed to the backend that owns what it names. */
    public void dispatch(Exchange ex, ClientSession session, JsonNode id, String method, ObjectNode params) {
        switch (method) {
            case "ping" -> ex.local(session, JsonRpc.result(id, mapper.createObjectNode()));
            case "tools/list" -> lists.listTools(ex, session, id, params);
            case "prompts/list" -> lists.listFeature(ex, session, id, params, aggregator.features().prompts(), "prompts");
            case "resources/list" -> lists.listFeature(ex, session, id, params, aggregator.features().resources(), "resources");
            case "resources/templates/list" ->
                    lists.listFeature(ex, session, id, params, aggregator.features().templates(), "resourceTemplates");
            case "logging/setLevel" -> setLevel(ex, session, id, params);
            default -> {
                Routing.Target target = routing.route(method, params);
                if (target.error != null) {
                    ex.reply(200, JsonRpc.error(id, target.errorCode, target.error), "error");
                } else {
                    forward(ex, session, id, target.serverId, method, params, target.resultUris);
                }
            }
        }
    }

    /**
     * logging/setLevel reaches every backend that offers logging, in the client's session there; a server that acts
     * on the caller's own token (authPassthrough, tokenExchange) only when the client already uses it, so that
     * setting a level never hands the caller's token to a server the caller did not call.
     */
    private void setLevel(Exchange ex, ClientSession session, JsonNode id, ObjectNode params) {
        java.util.Set<Backend> open = java.util.Set.copyOf(backendSessions.openBackends(session));
        List<Backend> targets = supervisor.all().stream()
                .filter(b -> b.entry().isEnabled() && b.state() == BackendState.READY && b.offers("logging"))
                .filter(b -> !b.entry().usesClientToken() || open.contains(b)).toList();
        if (targets.isEmpty()) {
            ex.local(session, JsonRpc.result(id, mapper.createObjectNode()));
            return;
        }
        List<Uni<Boolean>> calls = targets.stream().map(backend -> backendSessions
                .forward(session, backend, mcp.request("logging/setLevel", params.deepCopy()), null, ex.client)
                .map(reply -> reply.error() == null)
                .onFailure().recoverWithItem(false)).toList();
        Uni.join().all(calls).andFailFast().subscribe().with(results -> {
            if (results.contains(true) || results.isEmpty()) {
                ex.local(session, JsonRpc.result(id, mapper.createObjectNode()));
            } else {
                ex.reply(200, JsonRpc.error(id, JsonRpcErrors.INTERNAL_ERROR, "No backend accepted logging/setLevel"), "backend_error");
            }
        }, failure -> ex.reply(200, JsonRpc.error(id, JsonRpcErrors.INTERNAL_ERROR, failure.getMessage()), "backend_error"));
    }

    /**
     * Forwards one request to the backend that owns it, within the client's session there, and relays whatever
     * the backend sends before its answer (progress, logging, server-to-client requests) on an SSE response.
     */
    private void forward(Exchange ex, ClientSession session, JsonNode clientId, String serverId, String method,
                         ObjectNode params, boolean resultUris) {
        routedTo(serverId);
        Backend backend = supervisor.get(serverId);
        if (backend == null || backend.state() != BackendState.READY) {
            ex.reply(200, JsonRpc.error(clientId, JsonRpcErrors.BACKEND_UNAVAILABLE, "Server '" + serverId + "' is unavailable"), "backend_error");
            return;
        }
        if (session.inFlight.size() >= config.maxInFlightPerSession()) {
            ex.reply(429, JsonRpc.error(clientId, JsonRpcErrors.TOO_MANY_REQUESTS, "This session already has "
                    + config.maxInFlightPerSession() + " requests in flight (max-in-flight-per-session); retry when one "
                    + "has been answered"), "limited");
            return;
        }
        JsonNode meta = params.get("_meta");
        String mappedToken = null;
        if (meta instanceof ObjectNode metaObject && metaObject.has("progressToken")) {
            mappedToken = "mf-p-" + progressIds.incrementAndGet();
            session.progressTokens.put(mappedToken, metaObject.get("progressToken"));
            metaObject.put("progressToken", mappedToken);
        }
        ObjectNode request = mcp.request(method, params);
        String inFlightKey = clientId.toString();
        session.inFlight.put(inFlightKey, new ClientSession.InFlight(serverId, backend.key(), request.get("id")));
        Relay relay = messages.relay(ex, session, backend);
        String token = mappedToken;
        backendSessions.forward(session, backend, request, relay, ex.client).subscribe().with(
                reply -> {
                    cleanup(session, inFlightKey, token);
                    JsonNode answer = reply.message();
                    if (answer == null) {
                        relay.complete(JsonRpc.error(clientId, JsonRpcErrors.BACKEND_UNAVAILABLE, "Server '" + serverId + "' sent no answer"), "backend_error");
                        return;
                    }
                    ObjectNode out = JsonRpc.readdress(answer, clientId);
                    if (resultUris && out.path("result").path("contents") instanceof ArrayNode contents) {
                        FeatureCatalog features = aggregator.features();
                        contents.forEach(c -> {
                            if (c instanceof ObjectNode item && item.path("uri").isTextual()) {
                                item.put("uri", features.exposeUri(serverId, item.get("uri").asText()));
                            }
                        });
                    }
                    relay.complete(out, answer.has("error") ? "error" : "ok");
                },
                failure -> {
                    cleanup(session, inFlightKey, token);
                    LOG.debugf("%s on %s failed: %s", method, serverId, failure.getMessage());
                    relay.complete(JsonRpc.error(clientId, JsonRpcErrors.BACKEND_UNAVAILABLE,
                            "Server '" + serverId + "' is unavailable: " + failure.getMessage()), "backend_error");
                });
    }

    private static void cleanup(ClientSession session, String inFlightKey, String token) {
        session.inFlight.remove(inFlightKey);
        if (token != null) {
            session.progressTokens.remove(token);
        }
    }

    /** The request goes to {@code serverId}: its span and its log lines say so. */
    static void routedTo(String serverId) {
        Mdc.request(Telemetry.MDC_SERVER_ID, serverId);
        Span.current().setAttribute(Telemetry.ATTR_SERVER, serverId);
    }
}
