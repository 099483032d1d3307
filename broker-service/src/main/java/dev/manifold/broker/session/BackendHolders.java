package dev.manifold.broker.session;

import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Which cached client sessions hold something for which backend (a backend session, one being opened, or its GET
 * stream), by backend key, so that a removed backend costs the sessions that hold it rather than a scan of every
 * cached session. It may list a session whose opening with a backend failed (releasing it then finds nothing), but
 * never misses one that holds a backend. Sessions are kept by identity, not id: a session evicted from the cache
 * and loaded again from Redis is two objects with one id, and forgetting the first must not forget the second.
 * It only points at sessions; it never changes them.
 */
final class BackendHolders {
    private final Map<String, Set<ClientSession>> byBackend = new HashMap<>();
    private final Map<ClientSession, Set<String>> byClient = new IdentityHashMap<>();

    /** Records that the session holds (or is opening) something for the backend. */
    synchronized void hold(String backendKey, ClientSession session) {
        byBackend.computeIfAbsent(backendKey, k -> identitySet()).add(session);
        byClient.computeIfAbsent(session, s -> new java.util.HashSet<>()).add(backendKey);
    }

    /** Records that the session no longer holds anything for the backend. */
    synchronized void release(String backendKey, ClientSession session) {
        Set<ClientSession> holders = byBackend.get(backendKey);
        if (holders != null && holders.remove(session) && holders.isEmpty()) {
            byBackend.remove(backendKey);
        }
        Set<String> keys = byClient.get(session);
        if (keys != null && keys.remove(backendKey) && keys.isEmpty()) {
            byClient.remove(session);
        }
    }

    /** Removes the backend and returns the sessions that held it (the backend is gone: nobody holds it again). */
    synchronized Set<ClientSession> take(String backendKey) {
        Set<ClientSession> holders = byBackend.remove(backendKey);
        if (holders == null) {
            return Set.of();
        }
        for (ClientSession session : holders) {
            Set<String> keys = byClient.get(session);
            if (keys != null && keys.remove(backendKey) && keys.isEmpty()) {
                byClient.remove(session);
            }
        }
        return holders;
    }

    /** Removes a session that left the cache. */
    synchronized void forget(ClientSession session) {
        Set<String> keys = byClient.remove(session);
        if (keys == null) {
            return;
        }
        for (String key : keys) {
            Set<ClientSession> holders = byBackend.get(key);
            if (holders != null && holders.remove(session) && holders.isEmpty()) {
                byBackend.remove(key);
            }
        }
    }

    /** The sessions holding the backend (a copy). */
    synchronized Set<ClientSession> holders(String backendKey) {
        Set<ClientSession> copy = identitySet();
        copy.addAll(byBackend.getOrDefault(backendKey, Set.of()));
        return copy;
    }

    /** How many sessions hold at least one backend. */
    synchronized int sessions() {
        return byClient.size();
    }

    private static Set<ClientSession> identitySet() {
        return Collections.newSetFromMap(new IdentityHashMap<>());
    }
}
