package dev.manifold.proxy.http;

import io.vertx.core.http.HttpServerResponse;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The GET streams each session has open through this replica, bounded by {@code max-streams-per-session}. A stream
 * counts from the moment it is admitted until its client response ends or its connection closes, whichever comes
 * first; a session with no stream open holds no entry.
 */
final class OpenStreams {
    private final int maxPerSession;
    private final ConcurrentHashMap<String, AtomicInteger> bySession = new ConcurrentHashMap<>();

    OpenStreams(int maxPerSession) {
        this.maxPerSession = maxPerSession;
    }

    /** Admits one more stream of {@code sid} answered on {@code out}, or returns {@code false} at the limit. */
    boolean admit(String sid, HttpServerResponse out) {
        AtomicBoolean admitted = new AtomicBoolean();
        bySession.compute(sid, (k, open) -> {
            AtomicInteger n = open == null ? new AtomicInteger() : open;
            if (n.get() < maxPerSession) {
                n.incrementAndGet();
                admitted.set(true);
            }
            return n.get() == 0 ? null : n;
        });
        if (admitted.get()) {
            AtomicBoolean released = new AtomicBoolean();
            // Vert.x calls the end handler when the response ends and when its connection closes first.
            out.endHandler(v -> {
                if (released.compareAndSet(false, true)) {
                    release(sid);
                }
            });
        }
        return admitted.get();
    }

    private void release(String sid) {
        bySession.computeIfPresent(sid, (k, n) -> n.decrementAndGet() <= 0 ? null : n);
    }

    int limit() {
        return maxPerSession;
    }
}
