package dev.manifold.runtime.limits;

import dev.manifold.runtime.auth.Caller;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * How many sessions one principal may hold, and how fast it may open them: {@code max-sessions-per-principal} live
 * sessions and {@code max-new-sessions-per-minute}, checked before a session is created (in the proxy-runner before
 * its initialize reaches a pod, so a refused one costs the pod nothing). Anonymous callers cannot be told apart, so
 * the quota applies to authenticated principals only (OAuth mode).
 *
 * <p>With Redis (Kubernetes mode) the count is shared by all replicas: one Lua script per admission prunes the
 * principal's set of session ids of those whose session key has gone (deleted or expired), checks both limits, and
 * adds the new id and counts it in the minute, atomically. Only admitted sessions count toward the minute. Without Redis (standalone) the same is kept in memory, with
 * {@code alive} telling which ids still exist.
 */
public final class SessionQuota {

    /** Why a session was not admitted; the message is for the client. */
    public static final class Exceeded extends RuntimeException {
        public Exceeded(String message) {
            super(message, null, false, false);
        }
    }

    /** The limits; {@code 0} turns one off. */
    public record Limits(int maxSessions, int maxNewPerMinute) {
    }

    private static final String ADMIT = """
            local members = redis.call('SMEMBERS', KEYS[1])
            for _, sid in ipairs(members) do
              if redis.call('EXISTS', ARGV[1] .. sid) == 0 then redis.call('SREM', KEYS[1], sid) end
            end
            local rate = tonumber(ARGV[4])
            if rate > 0 and tonumber(redis.call('GET', KEYS[2]) or '0') >= rate then return -2 end
            local max = tonumber(ARGV[2])
            if max > 0 and redis.call('SCARD', KEYS[1]) >= max then return -1 end
            redis.call('SADD', KEYS[1], ARGV[3])
            redis.call('PEXPIRE', KEYS[1], ARGV[5])
            if redis.call('INCR', KEYS[2]) == 1 then redis.call('PEXPIRE', KEYS[2], 60000) end
            return 1
            """;

    private final Limits limits;
    private final ReactiveRedisDataSource redis;
    private final String keyPrefix;
    private final String sessionKeyPrefix;
    private final long indexTtlMillis;
    private final Duration timeout;
    private final Predicate<String> alive;
    private final Map<String, Set<String>> byPrincipal = new ConcurrentHashMap<>();
    private final Map<String, long[]> minutes = new ConcurrentHashMap<>();
    /** The minute of the last pruning of {@link #minutes} and {@link #byPrincipal} (local mode). */
    private long prunedAt = -1;

    private SessionQuota(Limits limits, ReactiveRedisDataSource redis, String keyPrefix, String sessionKeyPrefix,
                         Duration sessionTtl, Duration timeout, Predicate<String> alive) {
        this.limits = limits;
        this.redis = redis;
        this.keyPrefix = keyPrefix;
        this.sessionKeyPrefix = sessionKeyPrefix;
        // the index outlives its sessions: it is refreshed on every admission and pruned by key existence
        this.indexTtlMillis = Math.max(sessionTtl.toMillis() * 2, Duration.ofDays(1).toMillis());
        this.timeout = timeout;
        this.alive = alive;
    }

    /**
     * Shared through Redis: {@code keyPrefix} starts this quota's keys (for example {@code manifold:broker:quota});
     * {@code sessionKeyPrefix} + a session id is that session's key, whose existence says it is alive.
     */
    public static SessionQuota shared(Limits limits, ReactiveRedisDataSource redis, String keyPrefix,
                                      String sessionKeyPrefix, Duration sessionTtl, Duration timeout) {
        return new SessionQuota(limits, redis, keyPrefix, sessionKeyPrefix, sessionTtl, timeout, null);
    }

    /** In this process only (standalone); {@code alive} tells whether a session id still exists. */
    public static SessionQuota local(Limits limits, Predicate<String> alive) {
        return new SessionQuota(limits, null, null, null, Duration.ZERO, Duration.ZERO, alive);
    }

    /**
     * Admits session {@code sid} for the principal {@code principalKey} ({@link Caller#key()}), or fails with
     * {@link Exceeded}. The anonymous principal, and a quota with both limits off, are always admitted without any
     * store operation.
     */
    public Uni<Void> admit(String principalKey, String sid) {
        if (Caller.ANONYMOUS.key().equals(principalKey) || limits.maxSessions() <= 0 && limits.maxNewPerMinute() <= 0) {
            return Uni.createFrom().voidItem();
        }
        String principal = hash(principalKey);
        if (redis == null) {
            return verdict(admitLocally(principal, sid));
        }
        long minute = System.currentTimeMillis() / 60_000;
        return redis.execute("EVAL", ADMIT, "2", keyPrefix + ":" + principal, keyPrefix + ":" + principal + ":" + minute,
                        sessionKeyPrefix, Integer.toString(limits.maxSessions()), sid,
                        Integer.toString(limits.maxNewPerMinute()), Long.toString(indexTtlMillis))
                .ifNoItem().after(timeout).fail()
                .chain(response -> verdict(response == null ? 1 : response.toInteger()));
    }

    private synchronized int admitLocally(String principal, String sid) {
        long minute = System.currentTimeMillis() / 60_000;
        long[] window = minutes.computeIfAbsent(principal, k -> new long[2]);
        if (window[0] != minute) {
            window[0] = minute;
            window[1] = 0;
        }
        if (limits.maxNewPerMinute() > 0 && window[1] >= limits.maxNewPerMinute()) {
            return -2;
        }
        Set<String> ids = byPrincipal.computeIfAbsent(principal, k -> ConcurrentHashMap.newKeySet());
        ids.removeIf(id -> !alive.test(id));
        if (limits.maxSessions() > 0 && ids.size() >= limits.maxSessions()) {
            return -1;
        }
        ids.add(sid);
        window[1]++;
        if (minute != prunedAt) {
            // once a minute, not per admission: forget principals with no window this minute and no session left
            prunedAt = minute;
            minutes.entrySet().removeIf(e -> e.getValue()[0] < minute - 1);
            byPrincipal.entrySet().removeIf(e -> e.getValue().isEmpty() && !e.getKey().equals(principal));
        }
        return 1;
    }

    private Uni<Void> verdict(int code) {
        if (code == -1) {
            return Uni.createFrom().failure(new Exceeded("Too many sessions: this principal already holds "
                    + limits.maxSessions() + " (max-sessions-per-principal); delete one or wait until one expires"));
        }
        if (code == -2) {
            return Uni.createFrom().failure(new Exceeded("Too many new sessions: at most " + limits.maxNewPerMinute()
                    + " a minute per principal (max-new-sessions-per-minute); retry later"));
        }
        return Uni.createFrom().voidItem();
    }

    /** A principal's keys carry a hash of {@code iss sub}, never the identity itself. */
    private static String hash(String key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
