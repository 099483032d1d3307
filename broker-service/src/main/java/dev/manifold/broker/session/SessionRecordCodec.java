package dev.manifold.broker.session;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Uni;

import java.util.Iterator;
import java.util.Map;

/**
 * The broker's client session as stored in Redis under {@code <prefix>:broker:session:<sid>}: principal,
 * protocol version, client info, and the backend sessions opened for it, keyed by backend id and config hash.
 */
final class SessionRecordCodec {
    private SessionRecordCodec() {
    }

    static String write(ObjectMapper mapper, ClientSession session) {
        ObjectNode node = mapper.createObjectNode();
        node.put("sid", session.id());
        node.put("protocolVersion", session.protocolVersion());
        if (session.clientInfo() != null) {
            node.set("clientInfo", session.clientInfo());
        }
        if (session.capabilities() != null) {
            node.set("capabilities", session.capabilities());
        }
        node.put("principal", session.principal());
        node.put("createdAt", session.createdAt());
        ObjectNode out = node.putObject("backends");
        session.openBackends.forEach((key, bs) -> {
            ObjectNode b = out.putObject(key);
            b.put("url", bs.url());
            if (bs.sessionId() != null) {
                b.put("sessionId", bs.sessionId());
            }
            b.put("protocolVersion", bs.protocolVersion());
        });
        return node.toString();
    }

    static ClientSession read(ObjectMapper mapper, String json) throws java.io.IOException {
        JsonNode node = mapper.readTree(json);
        ClientSession session = new ClientSession(node.path("sid").asText(), node.path("protocolVersion").asText(),
                node.get("clientInfo"), node.get("capabilities"), node.path("principal").asText("anonymous"), node.path("createdAt").asLong());
        Iterator<Map.Entry<String, JsonNode>> backends = node.path("backends").fields();
        while (backends.hasNext()) {
            Map.Entry<String, JsonNode> entry = backends.next();
            JsonNode b = entry.getValue();
            ClientSession.BackendSession bs = new ClientSession.BackendSession(b.path("url").asText(),
                    b.path("sessionId").asText(null), b.path("protocolVersion").asText());
            session.openBackends.put(entry.getKey(), bs);
            session.backendSessions.put(entry.getKey(), Uni.createFrom().item(bs));
        }
        return session;
    }
}
