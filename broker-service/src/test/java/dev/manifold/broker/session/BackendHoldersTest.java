package dev.manifold.broker.session;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The index of which client sessions hold which backend is exact: a removed backend releases the sessions holding
 * it (their backend sessions DELETEd and forgotten) and no other, and a session that leaves the cache leaves the
 * index.
 */
class BackendHoldersTest {

    private static String key(OfflineBroker broker, String serverId) {
        return broker.supervisor.get(serverId).key();
    }

    @Test
    void aRemovedBackendReleasesExactlyTheSessionsHoldingIt() {
        try (OfflineBroker broker = new OfflineBroker(Map.of())) {
            broker.apply(List.of("a", "b", "c"));
            String a = key(broker, "a");
            String b = key(broker, "b");
            String c = key(broker, "c");
            ClientSession s1 = broker.session();
            ClientSession s2 = broker.session();
            ClientSession s3 = broker.session();
            ClientSession idle = broker.session();
            String s1a = broker.use(s1, "a");
            String s1b = broker.use(s1, "b");
            String s2b = broker.use(s2, "b");
            String s3c = broker.use(s3, "c");
            BackendHolders index = broker.sessions.holders();
            assertEquals(Set.of(s1, s2), Set.copyOf(index.holders(b)));
            assertEquals(Set.of(s1), Set.copyOf(index.holders(a)));
            assertEquals(3, index.sessions(), "a session holding nothing is not indexed");

            broker.apply(List.of("a", "c"));

            assertEquals(Set.of(s1b, s2b), broker.http.deleted, "only the removed backend's sessions are DELETEd");
            assertEquals(Set.of(a), s1.openBackends.keySet());
            assertTrue(s2.openBackends.isEmpty());
            assertEquals(Set.of(c), s3.openBackends.keySet());
            assertTrue(idle.openBackends.isEmpty());
            assertTrue(index.holders(b).isEmpty());
            assertEquals(Set.of(s1), Set.copyOf(index.holders(a)));
            assertEquals(Set.of(s3), Set.copyOf(index.holders(c)));
            assertEquals(2, index.sessions(), "s2 held only b");
            assertEquals(s1a, s1.openBackends.get(a).sessionId());
            assertEquals(s3c, s3.openBackends.get(c).sessionId());
        }
    }

    @Test
    void aReplacedBackendsSessionsAreReleasedAndTheNewOneIsIndexedOnUse() {
        try (OfflineBroker broker = new OfflineBroker(Map.of())) {
            broker.apply(List.of("a"));
            String old = key(broker, "a");
            ClientSession s1 = broker.session();
            String first = broker.use(s1, "a");

            broker.apply(List.of("a", "b")); // unchanged a: nothing released
            assertTrue(broker.http.deleted.isEmpty());
            assertEquals(Set.of(s1), Set.copyOf(broker.sessions.holders().holders(old)));

            broker.apply(List.of("b")); // a removed
            assertEquals(Set.of(first), broker.http.deleted);
            assertTrue(broker.sessions.holders().holders(old).isEmpty());
            assertEquals(0, broker.sessions.holders().sessions());
        }
    }

    @Test
    void aSessionThatLeavesTheCacheLeavesTheIndex() {
        try (OfflineBroker broker = new OfflineBroker(Map.of("max-sessions", "2"))) {
            broker.apply(List.of("a", "b"));
            String a = key(broker, "a");
            ClientSession deleted = broker.session();
            broker.use(deleted, "a");
            broker.sessions.delete(deleted).await().indefinitely();
            await().atMost(Duration.ofSeconds(10)).until(() -> broker.sessions.holders().sessions() == 0);

            ClientSession s1 = broker.session();
            ClientSession s2 = broker.session();
            ClientSession s3 = broker.session(); // one more than max-sessions: one of the three is evicted
            broker.use(s1, "a");
            broker.use(s2, "a");
            broker.use(s3, "a");
            await().atMost(Duration.ofSeconds(10)).until(() -> broker.sessions.holders().holders(a).size() == 2);
            Set<ClientSession> cached = Set.copyOf(broker.sessions.holders().holders(a));
            for (ClientSession session : List.of(s1, s2, s3)) {
                boolean stillCached = broker.sessions.find(session.id()).await().indefinitely() == session;
                assertEquals(stillCached, cached.contains(session), "indexed exactly when cached: " + session.id());
            }

            int deletes = broker.http.deleted.size();
            broker.apply(List.of("b"));
            assertEquals(deletes + 2, broker.http.deleted.size(), "the evicted session is not released twice");
            assertEquals(0, broker.sessions.holders().sessions());
            assertFalse(broker.sessions.holders().holders(a).contains(s1));
        }
    }
}
