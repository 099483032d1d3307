package dev.manifold.broker.relay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Ids of server-to-client requests as the client sees them: {@code mfs-} plus the base64url of
 * {@code [serverId, originalId]}. Two backends that use the same id get different ids at the client, and the
 * answer can be routed back from the id alone, by any broker replica.
 */
public final class ServerRequestIds {
    private static final String PREFIX = "mfs-";

    public record Decoded(String serverId, JsonNode originalId) {
    }

    private ServerRequestIds() {
    }

    public static String encode(String serverId, JsonNode originalId) {
        ArrayNode pair = JsonNodeFactory.instance.arrayNode();
        pair.add(serverId);
        pair.add(originalId);
        return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(pair.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** The backend and its own id, or {@code null} when this is not an id the broker issued. */
    public static Decoded decode(ObjectMapper mapper, String exposed) {
        if (exposed == null || !exposed.startsWith(PREFIX)) {
            return null;
        }
        try {
            JsonNode pair = mapper.readTree(Base64.getUrlDecoder().decode(exposed.substring(PREFIX.length())));
            if (pair instanceof ArrayNode array && array.size() == 2 && array.get(0).isTextual()
                    && (array.get(1).isTextual() || array.get(1).isIntegralNumber())) {
                return new Decoded(array.get(0).asText(), array.get(1));
            }
        } catch (Exception e) {
            // not ours
        }
        return null;
    }
}
