package dev.manifold.it.proxy;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** A lost pod's sessions are re-initialized on the remaining pods; clients keep their session ids. */
class PodLossIT {

    @Test
    void sessionsOfAKilledPodContinueOnOtherPodsWithTheSameId() {
        try (Fleet fleet = new Fleet("pod-loss", 3)) {
            ProxyProcess proxy = fleet.startProxy("proxy");
            Map<String, String> podOf = new LinkedHashMap<>();
            for (int i = 0; i < 15; i++) {
                String sid = McpClient.openSession(proxy.mcpUrl());
                podOf.put(sid, McpClient.servedBy(proxy.mcpUrl(), sid));
            }
            List<String> affected = podOf.entrySet().stream().filter(e -> e.getValue().equals("echo-1"))
                    .map(Map.Entry::getKey).toList();
            assertFalse(affected.isEmpty(), "echo-1 got no session; cannot test its loss");
            double before = proxy.metric("manifold_proxy_reinitializations_total", Map.of("server", "demo/echo"));

            fleet.pod("echo-1").kill9();

            for (String sid : podOf.keySet()) {
                assertEquals("Echo: still here", McpClient.echo(proxy.mcpUrl(), sid, "still here"),
                        "session " + sid + " failed after the pod loss");
            }
            for (String sid : affected) {
                assertNotEquals("echo-1", McpClient.servedBy(proxy.mcpUrl(), sid));
            }
            for (Map.Entry<String, String> e : podOf.entrySet()) {
                if (!affected.contains(e.getKey())) {
                    assertEquals(e.getValue(), McpClient.servedBy(proxy.mcpUrl(), e.getKey()),
                            "a session of a healthy pod was moved");
                }
            }
            assertEquals(before + affected.size(),
                    proxy.metric("manifold_proxy_reinitializations_total", Map.of("server", "demo/echo")),
                    "one re-initialization per affected session");
        }
    }

    @Test
    void whenTheOnlyPodIsGoneTheClientIsToldToReinitializeAndNewSessionsWait() {
        try (Fleet fleet = new Fleet("only-pod-gone", 1)) {
            ProxyProcess proxy = fleet.startProxy("proxy");
            String sid = McpClient.openSession(proxy.mcpUrl());
            fleet.pod("echo-0").kill9();
            McpClient.Answer answer = McpClient.callTool(proxy.mcpUrl(), sid, "echo", "{\"message\":\"x\"}");
            assertEquals(404, answer.status(), "a failed replay must tell the client to re-initialize: " + answer.body());
            assertEquals(-32001, answer.message().path("error").path("code").asInt());
            McpClient.Answer init = McpClient.post(proxy.mcpUrl(), null, McpClient.initializeBody());
            assertEquals(503, init.status(), init.body());
            assertEquals("1", init.retryAfter());
        }
    }

    /** A route emptied in the routes file answers 503; restoring it resumes the very same backend session. */
    @Test
    void routesReloadWithoutDroppingSessions() throws Exception {
        try (Fleet fleet = new Fleet("routes-reload", 2)) {
            ProxyProcess proxy = fleet.startProxy("proxy");
            String sid = McpClient.openSession(proxy.mcpUrl());
            String pod = McpClient.servedBy(proxy.mcpUrl(), sid);
            String original = java.nio.file.Files.readString(fleet.routesFile);

            java.nio.file.Files.writeString(fleet.routesFile, "routes:\n  - server: demo/echo\n    pods: []\n");
            org.awaitility.Awaitility.await("emptied route answers 503").atMost(java.time.Duration.ofSeconds(30))
                    .until(() -> McpClient.post(proxy.mcpUrl(), null, McpClient.initializeBody()).status() == 503);
            McpClient.Answer waiting = McpClient.callTool(proxy.mcpUrl(), sid, "echo", "{\"message\":\"x\"}");
            assertEquals(503, waiting.status(), waiting.body());
            assertEquals("1", waiting.retryAfter());

            // An invalid file is reported and the previous routes stay (the route is not wiped to 404).
            java.nio.file.Files.writeString(fleet.routesFile, "routes:\n  - server: demo/echo\n    pods: [ { name: x } ]\n");
            org.awaitility.Awaitility.await("invalid routes reported").atMost(java.time.Duration.ofSeconds(30))
                    .until(() -> proxy.readyBody().contains("routes[0].pods[0].url"));
            assertEquals(503, McpClient.post(proxy.mcpUrl(), null, McpClient.initializeBody()).status());
            // Reverting the broken edit to the routes in force clears the report.
            java.nio.file.Files.writeString(fleet.routesFile, "routes:\n  - server: demo/echo\n    pods: []\n");
            org.awaitility.Awaitility.await("reverted edit no longer reported").atMost(java.time.Duration.ofSeconds(30))
                    .until(() -> !proxy.readyBody().contains("routes[0].pods[0].url"));

            java.nio.file.Files.writeString(fleet.routesFile, original);
            org.awaitility.Awaitility.await("restored route").atMost(java.time.Duration.ofSeconds(30))
                    .until(() -> McpClient.callTool(proxy.mcpUrl(), sid, "echo", "{\"message\":\"y\"}").status() == 200);
            assertEquals(pod, McpClient.servedBy(proxy.mcpUrl(), sid), "the session moved although its pod came back");
            assertEquals(0.0, proxy.metric("manifold_proxy_reinitializations_total"));
        }
    }
}
