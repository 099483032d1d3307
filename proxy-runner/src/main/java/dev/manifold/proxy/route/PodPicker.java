package dev.manifold.proxy.route;

import dev.manifold.proxy.ProxyConfig;
import dev.manifold.proxy.session.Sessions;
import jakarta.inject.Singleton;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Chooses the pod for a new (or re-initialized) session: two random ready pods, the one with fewer sessions wins
 * (power of two choices), which spreads load without a global view. Pods that just refused a connection are
 * skipped for a short while unless nothing else is left. Never picks a pod outside the route's ready set.
 */
@Singleton
public class PodPicker {

    private final Sessions sessions;
    private final long ejectionNanos;
    private final Map<String, Long> ejectedUntil = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> pending = new ConcurrentHashMap<>();

    public PodPicker(Sessions sessions, ProxyConfig config) {
        this.sessions = sessions;
        this.ejectionNanos = config.podEjection().toNanos();
    }

    /** A ready pod other than {@code avoid} when possible; empty when the route has no ready pod. */
    public Optional<PodTarget> pick(Route route, String avoid) {
        List<PodTarget> candidates = new ArrayList<>(route.readyPods().size());
        long now = System.nanoTime();
        for (PodTarget pod : route.readyPods()) {
            if (!pod.name().equals(avoid) && !ejected(pod, now)) {
                candidates.add(pod);
            }
        }
        if (candidates.isEmpty()) {
            for (PodTarget pod : route.readyPods()) {
                if (!pod.name().equals(avoid)) {
                    candidates.add(pod);
                }
            }
        }
        if (candidates.isEmpty()) {
            candidates.addAll(route.readyPods());
        }
        if (candidates.isEmpty()) {
            return Optional.empty();
        }
        if (candidates.size() == 1) {
            return Optional.of(candidates.get(0));
        }
        ThreadLocalRandom random = ThreadLocalRandom.current();
        int a = random.nextInt(candidates.size());
        int b = random.nextInt(candidates.size() - 1);
        if (b >= a) {
            b++;
        }
        PodTarget first = candidates.get(a);
        PodTarget second = candidates.get(b);
        return Optional.of(load(route, first) <= load(route, second) ? first : second);
    }

    /**
     * Any ready pod, for requests without a session (stateless protocol): uniformly at random among the pods not
     * recently refusing connections. Session counts say nothing about stateless load, so they are not used.
     */
    public Optional<PodTarget> pickAny(Route route) {
        List<PodTarget> candidates = new ArrayList<>(route.readyPods().size());
        long now = System.nanoTime();
        for (PodTarget pod : route.readyPods()) {
            if (!ejected(pod, now)) {
                candidates.add(pod);
            }
        }
        if (candidates.isEmpty()) {
            candidates.addAll(route.readyPods());
        }
        return candidates.isEmpty() ? Optional.empty()
                : Optional.of(candidates.get(ThreadLocalRandom.current().nextInt(candidates.size())));
    }

    /** Counts a session being opened on the pod until {@link #released} (so concurrent initializes spread too). */
    public void reserve(Route route, PodTarget pod) {
        pending.computeIfAbsent(key(route, pod), k -> new AtomicInteger()).incrementAndGet();
    }

    public void released(Route route, PodTarget pod) {
        AtomicInteger n = pending.get(key(route, pod));
        if (n != null) {
            n.decrementAndGet();
        }
    }

    /** The pod refused a connection: avoid it for new sessions for the ejection period. */
    public void connectFailed(PodTarget pod) {
        ejectedUntil.put(pod.url().toString(), System.nanoTime() + ejectionNanos);
    }

    private boolean ejected(PodTarget pod, long now) {
        Long until = ejectedUntil.get(pod.url().toString());
        if (until == null) {
            return false;
        }
        if (now - until > 0) {
            ejectedUntil.remove(pod.url().toString(), until);
            return false;
        }
        return true;
    }

    private int load(Route route, PodTarget pod) {
        AtomicInteger p = pending.get(key(route, pod));
        return sessions.sessionsOn(route.serverId(), pod.name()) + (p == null ? 0 : p.get());
    }

    private static String key(Route route, PodTarget pod) {
        return route.serverId() + '\0' + pod.name();
    }
}
