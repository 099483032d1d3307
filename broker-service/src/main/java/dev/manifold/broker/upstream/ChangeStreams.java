package dev.manifold.broker.upstream;

import dev.manifold.runtime.JsonRpcMessage;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.manifold.broker.settings.BrokerConfig;
import dev.manifold.broker.telemetry.Mdc;
import dev.manifold.contracts.JsonRpcErrors;
import org.jboss.logging.Logger;

import java.util.function.Consumer;

/**
 * A Ready backend's own change stream: the GET stream of the broker's discovery session, on which the backend
 * announces {@code list_changed}; each announcement re-lists that feature and tells the supervisor. The broker
 * answers the backend's requests on that session itself (it has no client to ask).
 */
final class ChangeStreams {
    private static final Logger LOG = Logger.getLogger(ChangeStreams.class);

    private final McpHttpClient http;
    private final McpClient mcp;
    private final ObjectMapper mapper;
    private final BrokerConfig config;
    private final Consumer<Backend> changed;

    ChangeStreams(McpHttpClient http, McpClient mcp, ObjectMapper mapper, BrokerConfig config, Consumer<Backend> changed) {
        this.http = http;
        this.mcp = mcp;
        this.mapper = mapper;
        this.config = config;
        this.changed = changed;
    }

    /** The broker's answer to a server-to-client request on its own session: no roots, nothing else served. */
    private void answerOnDiscovery(Backend backend, McpClient.InitializedSession session, JsonNode request) {
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

    /**
     * Listens on the backend's GET stream for its own {@code notifications/tools/list_changed} and re-lists its
     * tools then. A backend that offers no stream (405) is simply not listened to; its tools are re-listed on
     * reconnect. When the stream ends, the next probe decides: a healthy backend gets a new stream.
     */
    void listen(Backend backend, McpClient.InitializedSession session) {
        close(backend);
        if (session.sessionId() == null || !announcesChanges(session.capabilities())) {
            return;
        }
        String url = backend.entry().url();
        http.openStream(url, session.sessionId(), session.protocolVersion(), message -> {
            JsonRpcMessage rpc = JsonRpcMessage.of(message).orElse(null);
            if (rpc instanceof JsonRpcMessage.Request) {
                answerOnDiscovery(backend, session, message);
                return;
            }
            switch (rpc == null || rpc.method() == null ? "" : rpc.method()) {
                case "notifications/tools/list_changed" -> relist(backend, session, McpClient.Feature.TOOLS);
                case "notifications/prompts/list_changed" -> relist(backend, session, McpClient.Feature.PROMPTS);
                case "notifications/resources/list_changed" -> {
                    relist(backend, session, McpClient.Feature.RESOURCES);
                    relist(backend, session, McpClient.Feature.TEMPLATES);
                }
                default -> {
                    // other messages on the discovery session are not for any client
                }
            }
        }, () -> backend.changeStream = null, null).subscribe().with(handle -> {
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

    private void relist(Backend backend, McpClient.InitializedSession session, McpClient.Feature feature) {
        mcp.listFeature(backend.entry().url(), session, false, feature, session.capabilities())
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
                    changed.accept(backend);
                }, failure -> LOG.debugf("Re-listing %s of %s after list_changed failed: %s", feature.field, backend.id(), failure.getMessage()));
    }

    static void close(Backend backend) {
        Runnable stream = backend.changeStream;
        backend.changeStream = null;
        if (stream != null) {
            stream.run();
        }
    }

    /** After a good probe: a backend that offers a change stream but lost it gets a new one. */
    void ensure(Backend backend) {
        if (backend.changeStream == null && backend.discoverySessionId != null && !backend.closed
                && announcesChanges(backend.capabilities) && backend.streamOffered) {
            listen(backend, new McpClient.InitializedSession(backend.discoverySessionId, backend.protocolVersion, backend.capabilities));
        }
    }
}
