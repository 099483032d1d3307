package dev.manifold.runtime.limits;

import dev.manifold.runtime.auth.Caller;
import dev.manifold.runtime.testing.RedisServer;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.vertx.mutiny.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The per-principal session quota, shared through a private redis-server (two quota objects stand for two replicas)
 * and in memory: the session limit counts only sessions whose key still exists, the minute limit counts creations,
 * and the anonymous principal is never limited.
 */
class SessionQuotaTest {
    private static RedisServer server;
    private static Vertx vertx;
    private static ReactiveRedisDataSource redis;
    private final String prefix = "quota-test-" + UUID.randomUUID();

    @BeforeAll
    static void start() {
        server = RedisServer.temporary().start();
        vertx = Vertx.vertx();
        redis = server.dataSource(vertx);
    }

    @AfterAll
    static void stop() {
        vertx.closeAndAwait();
        server.close();
    }

    @BeforeEach
    void earlyInAMinute() {
        // The per-minute count is a window of the clock's minute: start early in one, so each test falls in it.
        await().atMost(Duration.ofSeconds(20)).until(() -> System.currentTimeMillis() % 60_000 < 45_000);
    }

    private SessionQuota replica(int max, int perMinute) {
        return SessionQuota.shared(new SessionQuota.Limits(max, perMinute), redis, prefix + ":quota", prefix + ":s:",
                Duration.ofHours(2), Duration.ofSeconds(5));
    }

    private void createSessionKey(String sid) {
        server.cli("SET", prefix + ":s:" + sid, "{}");
    }

    private static void admit(SessionQuota quota, String principal, String sid) {
        quota.admit(principal, sid).await().atMost(Duration.ofSeconds(5));
    }

    private static String refusal(SessionQuota quota, String principal, String sid) {
        return assertThrows(SessionQuota.Exceeded.class, () -> admit(quota, principal, sid)).getMessage();
    }

    @Test
    void twoReplicasShareOnePrincipalsCountAndAGoneSessionMakesRoom() {
        SessionQuota a = replica(2, 0);
        SessionQuota b = replica(2, 0);
        admit(a, "iss alice", "s1");
        createSessionKey("s1");
        admit(b, "iss alice", "s2");
        createSessionKey("s2");
        assertTrue(refusal(a, "iss alice", "s3").contains("max-sessions-per-principal"));
        admit(b, "iss bob", "s4"); // another principal

        server.cli("DEL", prefix + ":s:s1"); // deleted (or expired) on any replica
        admit(b, "iss alice", "s5");
        assertTrue(server.cli("KEYS", prefix + ":quota:*").lines().noneMatch(k -> k.contains("alice")),
                "keys name a hash of the principal, never the principal");
    }

    @Test
    void newSessionsPerMinuteAreCountedAcrossReplicas() {
        SessionQuota a = replica(0, 3);
        SessionQuota b = replica(0, 3);
        admit(a, "iss carol", "n1");
        admit(b, "iss carol", "n2");
        admit(a, "iss carol", "n3");
        assertTrue(refusal(b, "iss carol", "n4").contains("max-new-sessions-per-minute"));
    }

    @Test
    void theAnonymousPrincipalIsNeverLimitedAndTouchesNoStore() {
        SessionQuota a = replica(1, 1);
        for (int i = 0; i < 5; i++) {
            admit(a, Caller.ANONYMOUS.key(), "anon" + i);
        }
        assertEquals("", server.cli("KEYS", prefix + ":*").trim());
    }

    @Test
    void inMemoryTheSameRulesHold() {
        Set<String> alive = new HashSet<>();
        SessionQuota local = SessionQuota.local(new SessionQuota.Limits(2, 3), alive::contains);
        admit(local, "iss dave", "m1");
        alive.add("m1");
        admit(local, "iss dave", "m2");
        alive.add("m2");
        assertTrue(refusal(local, "iss dave", "m3").contains("max-sessions-per-principal"));
        alive.remove("m1");
        admit(local, "iss dave", "m4");
        alive.remove("m2");
        assertTrue(refusal(local, "iss dave", "m5").contains("max-new-sessions-per-minute"));
    }
}
