package dev.manifold.broker.relay;

import dev.manifold.runtime.JsonRpcMessage;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.manifold.broker.catalog.Aggregator;
import dev.manifold.broker.reply.Exchange;
import dev.manifold.broker.session.ClientSession;
import dev.manifold.broker.session.BackendSessions;
import dev.manifold.broker.session.ClientSessions;
import dev.manifold.broker.session.ClientStreams;
import dev.manifold.broker.session.EventStream;
import dev.manifold.broker.settings.BrokerConfig;
import dev.manifold.broker.upstream.Backend;
import dev.manifold.broker.upstream.BackendSupervisor;
import dev.manifold.broker.upstream.JsonRpc;
import dev.manifold.broker.upstream.McpHttpClient;
import dev.manifold.contracts.JsonRpcErrors;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

/**
 * Server-to-client traffic of client sessions: what a backend sends besides its answers (requests get an id unique
 * for the client, progress tokens and URIs are mapped back), the client's answers to those requests, and the
 * client's notifications to its backends. Counts relayed requests ({@code manifold.broker.server.requests}) and
 * those the client never answered ({@code manifold.broker.server.request.timeouts}).
 */
@Startup // registers for backend messages at start, before any client request uses it
@ApplicationScoped
public class ServerMessages {
    private static final Logger LOG = Logger.getLogger(ServerMessages.class);

    private final ObjectMapper mapper;
    final BrokerConfig config;
    final ClientSessions sessions;
    private final BackendSessions backendSessions;
    final ClientStreams streams;
    final Vertx vertx;
    private final BackendSupervisor supervisor;
    private final Aggregator aggregator;
    private final McpHttpClient http;
    private final Counter serverRequests;
    private final Counter serverRequestTimeouts;
    private final Counter serverRequestsRefused;

    public ServerMessages(ObjectMapper mapper, BrokerConfig config, ClientSessions sessions, BackendSessions backendSessions,
                          ClientStreams streams, Vertx vertx, BackendSupervisor supervisor, Aggregator aggregator,
                          McpHttpClient http, MeterRegistry registry) {
        this.mapper = mapper;
        this.config = config;
        this.sessions = sessions;
        this.backendSessions = backendSessions;
        this.streams = streams;
        this.vertx = vertx;
        this.supervisor = supervisor;
        this.aggregator = aggregator;
        this.http = http;
        this.serverRequests = Counter.builder("manifold.broker.server.requests")
                .description("Server-to-client requests (sampling, elicitation, roots) relayed to clients").register(registry);
        this.serverRequestTimeouts = Counter.builder("manifold.broker.server.request.timeouts")
                .description("Relayed server-to-client requests the client did not answer in time").register(registry);
        this.serverRequestsRefused = Counter.builder("manifold.broker.server.requests.refused")
                .description("Server-to-client requests refused because the session had max-pending-server-requests waiting")
                .register(registry);
        sessions.onBackendMessage((session, backend, message) -> fromBackend(session, backend, message, null));
    }

    /** The relay of one forwarded request's stream ({@code session} null for a stateless client). */
    public Relay relay(Exchange ex, ClientSession session, Backend backend) {
        return new Relay(this, ex, session, backend);
    }

    /**
     * A message a backend sent outside its answers, on a POST stream or its GET stream, for one client session:
     * server-to-client requests get an id unique for the client, progress tokens and URIs are mapped back, and
     * the message goes to the client's stream. A request that cannot reach the client is refused to the backend.
     */
    public void fromBackend(ClientSession session, Backend backend, JsonNode message, EventStream target) {
        JsonRpcMessage rpc = JsonRpcMessage.of(message).orElse(null);
        if (rpc == null || rpc.method() == null) {
            return; // a stray response: nothing to relay
        }
        ObjectNode msg = rpc.raw();
        String method = rpc.method();
        if (target == null && session != null) {
            target = session.standalone();
        }
        if (rpc instanceof JsonRpcMessage.Request request) {
            if (session == null || target == null) {
                ObjectNode refusal = JsonRpc.error(request.id(), JsonRpcErrors.METHOD_NOT_FOUND,
                        "The client cannot receive " + method + " requests through this gateway stream");
                // a stateless client's call runs in the broker's own session with the backend: answer there
                Uni<?> sent = session != null ? backendSessions.deliver(session, backend, refusal)
                        : http.post(backend.entry().url(), backend.discoverySessionId(), backend.protocolVersion(), refusal,
                        false, null, dev.manifold.broker.credentials.ClientToken.of(null, null)); // a caller's exchange: no broker credential in its stead
                sent.subscribe().with(r -> {
                }, f -> LOG.debugf("Refusing %s to %s failed: %s", method, backend.id(), f.getMessage()));
                return;
            }
            if (session.pending.size() >= config.maxPendingServerRequests()) {
                serverRequestsRefused.increment();
                ObjectNode refusal = JsonRpc.error(request.id(), JsonRpcErrors.TOO_MANY_REQUESTS, "The client already has "
                        + config.maxPendingServerRequests() + " server requests waiting (max-pending-server-requests)");
                backendSessions.deliver(session, backend, refusal).subscribe().with(r -> {
                }, f -> LOG.debugf("Refusing %s to %s failed: %s", method, backend.id(), f.getMessage()));
                return;
            }
            String exposed = ServerRequestIds.encode(backend.id(), request.id());
            long timer = vertx.setTimer(Math.max(1, config.serverRequestTimeout().toMillis()), t -> expire(session, exposed));
            ClientSession.PendingServerRequest previous = session.pending.put(exposed,
                    new ClientSession.PendingServerRequest(backend.id(), request.id(), timer));
            if (previous != null) {
                vertx.cancelTimer(previous.timerId());
            }
            ObjectNode copy = msg.deepCopy();
            copy.put("id", exposed);
            target.send(copy.toString());
            serverRequests.increment();
            return;
        }
        ObjectNode copy = msg;
        switch (method) {
            case "notifications/tools/list_changed", "notifications/prompts/list_changed",
                 "notifications/resources/list_changed" -> {
                return; // the broker announces changes of the aggregate itself
            }
            case "notifications/progress" -> {
                JsonNode token = msg.path("params").get("progressToken");
                JsonNode original = token != null && token.isTextual() && session != null ? session.progressTokens.get(token.asText()) : null;
                if (original != null) {
                    copy = msg.deepCopy();
                    ((ObjectNode) copy.get("params")).set("progressToken", original);
                }
            }
            case "notifications/cancelled" -> {
                JsonNode requestId = msg.path("params").get("requestId");
                if (requestId != null && session != null) {
                    String exposed = ServerRequestIds.encode(backend.id(), requestId);
                    ClientSession.PendingServerRequest pending = session.pending.remove(exposed);
                    if (pending != null) {
                        vertx.cancelTimer(pending.timerId());
                    }
                    copy = msg.deepCopy();
                    ((ObjectNode) copy.get("params")).put("requestId", exposed);
                }
            }
            case "notifications/resources/updated" -> {
                JsonNode uri = msg.path("params").get("uri");
                if (uri != null && uri.isTextual()) {
                    copy = msg.deepCopy();
                    ((ObjectNode) copy.get("params")).put("uri", aggregator.features().exposeUri(backend.id(), uri.asText()));
                }
            }
            default -> {
                // logging messages and anything else pass through untouched
            }
        }
        if (target != null) {
            target.send(copy.toString());
        }
    }

    /** A server-to-client request the client did not answer in time: the backend gets an error, the client a cancel. */
    private void expire(ClientSession session, String exposed) {
        ClientSession.PendingServerRequest pending = session.pending.remove(exposed);
        if (pending == null) {
            return;
        }
        session.expired(exposed);
        Backend backend = supervisor.get(pending.serverId());
        if (backend != null) {
            backendSessions.deliver(session, backend, JsonRpc.error(pending.originalId(), JsonRpcErrors.INTERNAL_ERROR,
                    "Request timed out: the client did not answer within " + config.serverRequestTimeout())).subscribe().with(r -> {
            }, f -> {
            });
        }
        EventStream standalone = session.standalone();
        if (standalone != null) {
            standalone.send(JsonRpc.cancelled(TextNode.valueOf(exposed), "timed out waiting for the client").toString());
        }
        serverRequestTimeouts.increment();
    }

    /** The client's answer to a server-to-client request goes back to the backend that asked, under its own id. */
    public void clientAnswer(Exchange ex, ClientSession session, ObjectNode message) {
        JsonNode id = message.get("id");
        String exposed = id.isTextual() ? id.asText() : null;
        ClientSession.PendingServerRequest pending = exposed == null ? null : session.pending.remove(exposed);
        if (pending != null) {
            vertx.cancelTimer(pending.timerId());
        } else if (exposed != null && session.hasExpired(exposed)) {
            // The backend already got a timeout error for it: a second answer to one request would be a protocol
            // error there. The client was told with notifications/cancelled; its late answer is dropped.
            LOG.debugf("Dropping the late answer to server request %s of session %s", exposed, session.id());
            ex.accepted();
            return;
        }
        ServerRequestIds.Decoded decoded = pending != null
                ? new ServerRequestIds.Decoded(pending.serverId(), pending.originalId())
                : exposed == null ? null : ServerRequestIds.decode(mapper, exposed); // asked through another replica
        Backend backend = decoded == null ? null : supervisor.get(decoded.serverId());
        if (backend == null) {
            ex.reply(400, JsonRpc.error(id, JsonRpcErrors.INVALID_REQUEST, "No pending server request with id " + id), "rejected");
            return;
        }
        ObjectNode copy = message.deepCopy();
        copy.set("id", decoded.originalId());
        backendSessions.deliver(session, backend, copy, ex.client).subscribe().with(
                reply -> ex.accepted(),
                failure -> ex.reply(502, JsonRpc.error(id, JsonRpcErrors.BACKEND_UNAVAILABLE,
                        "Server '" + backend.id() + "' did not take the answer: " + failure.getMessage()), "backend_error"));
    }

    /** A client notification: cancellations go to the backend running the request; others to every backend session. */
    public void clientNotification(Exchange ex, ClientSession session, String method, ObjectNode message) {
        switch (method) {
            case "notifications/initialized" -> ex.accepted();
            case "notifications/cancelled" -> {
                JsonNode requestId = message.path("params").get("requestId");
                ClientSession.InFlight inFlight = requestId == null ? null : session.inFlight.get(requestId.toString());
                Backend backend = inFlight == null ? null : supervisor.get(inFlight.serverId());
                if (backend != null) {
                    backendSessions.cancel(session, backend, inFlight.backendId(), message.path("params").path("reason").asText(null),
                                    ex.client)
                            .subscribe().with(r -> {
                            }, f -> {
                            });
                }
                ex.accepted();
            }
            default -> {
                for (Backend backend : backendSessions.openBackends(session)) {
                    backendSessions.deliver(session, backend, message, ex.client).subscribe().with(r -> {
                    }, f -> LOG.debugf("%s to %s failed: %s", method, backend.id(), f.getMessage()));
                }
                ex.accepted();
            }
        }
    }
}
