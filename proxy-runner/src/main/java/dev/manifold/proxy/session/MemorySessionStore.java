package dev.manifold.proxy.session;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.manifold.contracts.SessionRecord;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.smallrye.mutiny.Uni;

import java.time.Duration;

/**
 * Sessions in process memory ({@code manifold.proxy.session-store=memory}): for one standalone replica only;
 * everything is lost when the process stops.
 */
@RegisterForReflection(classNames = {"com.github.benmanes.caffeine.cache.SSA", "com.github.benmanes.caffeine.cache.PSA"})
public final class MemorySessionStore implements SessionStore {

    private final Cache<String, SessionRecord> records;

    public MemorySessionStore(Duration ttl) {
        this.records = builder(ttl).build();
    }

    /** The store's cache options; the generated classes they pick are registered on this class (NativeGuardsTest). */
    static Caffeine<Object, Object> builder(Duration ttl) {
        return Caffeine.newBuilder().expireAfterAccess(ttl);
    }

    @Override
    public Uni<SessionRecord> touch(String sid) {
        return Uni.createFrom().item(records.getIfPresent(sid));
    }

    @Override
    public Uni<SessionRecord> peek(String sid) {
        return Uni.createFrom().item(records.asMap().get(sid));
    }

    @Override
    public Uni<Boolean> create(SessionRecord record) {
        return Uni.createFrom().item(records.asMap().putIfAbsent(record.sid(), record) == null);
    }

    @Override
    public Uni<Boolean> update(SessionRecord record) {
        return Uni.createFrom().item(records.asMap().replace(record.sid(), record) != null);
    }

    @Override
    public Uni<Void> delete(String sid) {
        records.invalidate(sid);
        return Uni.createFrom().voidItem();
    }

    /** Whether a session is stored (without counting as a use). */
    public boolean contains(String sid) {
        return records.asMap().containsKey(sid);
    }

    @Override
    public Uni<Boolean> ping() {
        return Uni.createFrom().item(true);
    }
}
