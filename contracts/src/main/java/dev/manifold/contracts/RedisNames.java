package dev.manifold.contracts;

/**
 * Every Redis key and channel Manifold uses, under one configurable prefix so several installs can share a
 * Redis. The services never spell a key by hand.
 */
public final class RedisNames {

    /** The prefix used when none is configured. */
    public static final String DEFAULT_PREFIX = "manifold";

    private final String prefix;

    public RedisNames(String prefix) {
        if (prefix == null || prefix.isBlank() || prefix.contains(" ")) {
            throw new IllegalArgumentException("Redis key prefix must be a non-empty word, was '" + prefix + "'");
        }
        this.prefix = prefix;
    }

    public static RedisNames defaults() {
        return new RedisNames(DEFAULT_PREFIX);
    }

    public String prefix() {
        return prefix;
    }

    /** Key holding the canonical {@link GatewayConfig} JSON. */
    public String configKey() {
        return prefix + ":config";
    }

    /** Key holding the broker-observed health of one server. */
    public String healthKey(String serverId) {
        return prefix + ":health:" + serverId;
    }

    /** Pattern matching every health key, for SCAN. */
    public String healthKeyPattern() {
        return prefix + ":health:*";
    }

    /** Key holding a broker client session (per-backend session ids, principal, protocol version). */
    public String brokerSessionKey(String sid) {
        return prefix + ":broker:session:" + sid;
    }

    /** Key holding a proxy-runner {@link SessionRecord}. */
    public String proxySessionKey(String sid) {
        return prefix + ":proxy:session:" + sid;
    }

    /** Channel announcing a new config version; the payload is the version. */
    /**
     * Prefix of the per-principal session quota keys of one service ({@code broker} or {@code proxy}): a set of the
     * principal's session ids and a counter per minute, named by a hash of the principal.
     */
    public String sessionQuotaPrefix(String service) {
        return prefix + ":" + service + ":quota";
    }

    public String configChangedChannel() {
        return prefix + ":config-changed";
    }

    /** Channel announcing a health state change; the payload is the server id. */
    public String healthChangedChannel() {
        return prefix + ":health-changed";
    }

    /** Channel announcing a deleted session, so other replicas drop it from their caches; payload is the sid. */
    public String sessionEvictedChannel() {
        return prefix + ":session-evicted";
    }
}
