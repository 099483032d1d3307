package dev.manifold.contracts;

/**
 * A proxy-runner session: which pod serves it and how to re-create it there or elsewhere. Stored as JSON
 * under {@link RedisNames#proxySessionKey(String)} with a sliding TTL; created with SET NX and updated with
 * SET XX so a deleted session is never resurrected.
 *
 * @param sid             our session id, shown to the client (at least 128 random bits)
 * @param serverId        the MCPServer id, {@code namespace/name}
 * @param pod             the stable StatefulSet pod name serving the session
 * @param address         where that pod was reached (URL)
 * @param backendSid      the pod's own {@code Mcp-Session-Id}
 * @param initialize      the client's original initialize request body, replayed if the pod is lost
 * @param protocolVersion the negotiated protocol version
 * @param principal       {@code iss sub} of the authenticated caller, or {@code anonymous}
 * @param createdAt       creation time, epoch milliseconds
 */
public record SessionRecord(String sid, String serverId, String pod, String address, String backendSid,
                            String initialize, String protocolVersion, String principal, long createdAt) {

    public static final String ANONYMOUS = "anonymous";

    public SessionRecord {
        if (sid == null || sid.isBlank()) {
            throw new ConfigValidationException("sid", "must be set");
        }
        if (serverId == null || serverId.isBlank()) {
            throw new ConfigValidationException("serverId", "must be set");
        }
        if (principal == null || principal.isBlank()) {
            principal = ANONYMOUS;
        }
    }

    /** The same session pinned to another pod with a new backend session id. */
    public SessionRecord repinned(String newPod, String newAddress, String newBackendSid) {
        return new SessionRecord(sid, serverId, newPod, newAddress, newBackendSid, initialize, protocolVersion,
                principal, createdAt);
    }

    /** JSON for Redis. */
    public String toJson() {
        return CanonicalJson.text(this);
    }

    /** Reads a stored record; unknown fields are rejected. */
    public static SessionRecord fromJson(String json) {
        return GatewayConfigCodec.read(CanonicalJson.MAPPER, json.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                SessionRecord.class);
    }
}
