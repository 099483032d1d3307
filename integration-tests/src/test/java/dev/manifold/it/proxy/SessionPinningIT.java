package dev.manifold.it.proxy;

import dev.manifold.it.support.ItEnvironment;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Sessions stay on their pod across proxy-runner restarts and replicas, and new sessions spread over the pods.
 * Which pod served a call is reported by the backend process itself (get-env → POD_NAME), never by the proxy.
 */
class SessionPinningIT {

    /**
     * ToolHive #4575: 3 stateful pods, 30 sessions, kill -9 the proxy-runner and start a new one: every session
     * continues without error on the pod that served it before.
     */
    @Test
    void sessionsSurviveProxyRestartOnTheSamePod() {
        try (Fleet fleet = new Fleet("seed-4575", 3)) {
            int port = ItEnvironment.freePort();
            ProxyProcess first = fleet.startProxy("proxy-a", port, Map.of());
            Map<String, String> podOf = new LinkedHashMap<>();
            for (int i = 0; i < 30; i++) {
                String sid = McpClient.openSession(first.mcpUrl());
                podOf.put(sid, McpClient.servedBy(first.mcpUrl(), sid));
            }
            assertEquals(3, podOf.values().stream().distinct().count(), "sessions should use all three pods");

            first.kill9();
            ProxyProcess restarted = fleet.startProxy("proxy-a-restarted", port, Map.of());

            for (Map.Entry<String, String> session : podOf.entrySet()) {
                assertEquals("after restart", McpClient.echo(restarted.mcpUrl(), session.getKey(), "after restart")
                        .replace("Echo: ", ""));
                assertEquals(session.getValue(), McpClient.servedBy(restarted.mcpUrl(), session.getKey()),
                        "session " + session.getKey() + " moved to another pod");
            }
            assertEquals(0.0, restarted.metric("manifold_proxy_reinitializations_total"),
                    "no session should have needed a replay");
        }
    }

    @Test
    void sessionOpenedOnOneReplicaIsServedByTheOther() {
        try (Fleet fleet = new Fleet("two-replicas", 3)) {
            ProxyProcess a = fleet.startProxy("proxy-a");
            ProxyProcess b = fleet.startProxy("proxy-b");
            for (int i = 0; i < 6; i++) {
                String sid = McpClient.openSession(a.mcpUrl());
                String pod = McpClient.servedBy(a.mcpUrl(), sid);
                assertEquals(pod, McpClient.servedBy(b.mcpUrl(), sid), "replica b routed the session elsewhere");
                assertEquals("Echo: via b", McpClient.echo(b.mcpUrl(), sid, "via b"));
            }
            assertEquals(0.0, b.metric("manifold_proxy_reinitializations_total"));
        }
    }

    /** Power of two choices: 300 sessions over 3 pods, none gets more than 40% (by the pods' own count). */
    @Test
    void threeHundredSessionsSpreadOverThreePods() throws Exception {
        try (Fleet fleet = new Fleet("spread", 3)) {
            ProxyProcess proxy = fleet.startProxy("proxy");
            ExecutorService clients = Executors.newFixedThreadPool(6);
            try {
                List<Future<String>> opened = new ArrayList<>();
                for (int i = 0; i < 300; i++) {
                    opened.add(clients.submit(() -> McpClient.openSession(proxy.mcpUrl())));
                }
                Map<String, Boolean> sids = new ConcurrentHashMap<>();
                for (Future<String> f : opened) {
                    String sid = f.get();
                    assertNotNull(sid);
                    sids.put(sid, true);
                }
                assertEquals(300, sids.size(), "every session needs its own id");
            } finally {
                clients.shutdownNow();
            }
            long total = 0;
            for (BackendPod pod : fleet.pods) {
                long n = pod.sessionsInitialized();
                total += n;
                assertTrue(n <= 120, pod.name + " got " + n + " of 300 sessions (more than 40%)");
            }
            assertEquals(300, total, "each session is initialized on exactly one pod");
        }
    }
}
