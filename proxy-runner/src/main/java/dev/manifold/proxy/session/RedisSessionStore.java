package dev.manifold.proxy.session;

import dev.manifold.contracts.RedisNames;
import dev.manifold.contracts.SessionRecord;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Response;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Sessions in Redis under {@code <prefix>:proxy:session:<sid>} with a sliding TTL. Counts every operation in
 * {@code manifold_proxy_redis_ops_total{op}} and bounds each by the Redis timeout, so a Redis outage is an
 * error within that time, never a hang.
 */
public final class RedisSessionStore implements SessionStore {

    private final ReactiveRedisDataSource redis;
    private final RedisNames names;
    private final String ttlMillis;
    private final Duration timeout;
    private final MeterRegistry registry;
    private final Map<String, Counter> ops = new ConcurrentHashMap<>();

    public RedisSessionStore(ReactiveRedisDataSource redis, RedisNames names, Duration ttl, Duration timeout,
                             MeterRegistry registry) {
        this.redis = redis;
        this.names = names;
        this.ttlMillis = Long.toString(ttl.toMillis());
        this.timeout = timeout;
        this.registry = registry;
    }

    @Override
    public Uni<SessionRecord> touch(String sid) {
        return run("getex", "GETEX", names.proxySessionKey(sid), "PX", ttlMillis).map(RedisSessionStore::record);
    }

    @Override
    public Uni<SessionRecord> peek(String sid) {
        return run("get", "GET", names.proxySessionKey(sid)).map(RedisSessionStore::record);
    }

    @Override
    public Uni<Boolean> create(SessionRecord record) {
        return run("set_nx", "SET", names.proxySessionKey(record.sid()), record.toJson(), "NX", "PX", ttlMillis)
                .map(r -> r != null);
    }

    @Override
    public Uni<Boolean> update(SessionRecord record) {
        return run("set_xx", "SET", names.proxySessionKey(record.sid()), record.toJson(), "XX", "PX", ttlMillis)
                .map(r -> r != null);
    }

    @Override
    public Uni<Void> delete(String sid) {
        return run("del", "DEL", names.proxySessionKey(sid))
                .chain(() -> run("publish", "PUBLISH", names.sessionEvictedChannel(), sid))
                .replaceWithVoid();
    }

    @Override
    public Uni<Boolean> ping() {
        return run("ping", "PING").map(r -> r != null && "PONG".equalsIgnoreCase(r.toString()));
    }

    private Uni<Response> run(String op, String command, String... args) {
        ops.computeIfAbsent(op, o -> Counter.builder("manifold.proxy.redis.ops")
                .description("Redis operations issued by the proxy-runner")
                .tag("op", o).register(registry)).increment();
        return redis.execute(command, args).ifNoItem().after(timeout)
                .failWith(() -> new StoreUnavailableException("Redis did not answer " + command + " within " + timeout));
    }

    private static SessionRecord record(Response response) {
        return response == null ? null : SessionRecord.fromJson(response.toString());
    }
}
