package dev.manifold.broker.upstream;

import dev.manifold.contracts.ServerEntry;
import dev.manifold.contracts.Workload;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BackendEndpointsTest {

    private static ServerEntry workload(String id) {
        return new ServerEntry(id, "w_", null, true, null, null, null,
                new Workload("echo", "echo-headless", "team-a", 3000, "/mcp", 3));
    }

    @Test
    void aWorkloadServerIsReachedAtTheProxyRunnersRouteForItsId() {
        BackendEndpoints endpoints = new BackendEndpoints("http://manifold-proxy-runner.manifold-system.svc:8080");
        ServerEntry resolved = endpoints.resolve(workload("team-a/echo"));
        assertEquals("http://manifold-proxy-runner.manifold-system.svc:8080/team-a/echo/mcp", resolved.url());
        assertEquals("team-a/echo", resolved.id());
        assertEquals("w_", resolved.toolPrefix());
        assertEquals(workload("team-a/echo").workload(), resolved.workload());
        assertNull(BackendEndpoints.unreachableReason(resolved));
    }

    @Test
    void aTrailingSlashOnTheBaseUrlGivesNoDoubleSlash() {
        assertEquals("http://127.0.0.1:8081/team-a/echo/mcp",
                new BackendEndpoints("http://127.0.0.1:8081/").resolve(workload("team-a/echo")).url());
    }

    @Test
    void aBareIdIsRoutedInTheWorkloadsNamespace() {
        assertEquals("http://proxy:8080/team-a/echo/mcp", new BackendEndpoints("http://proxy:8080").resolve(workload("echo")).url());
    }

    @Test
    void resolvingTwiceGivesTheSameEntrySoAnUnchangedServerIsNotReconnected() {
        BackendEndpoints endpoints = new BackendEndpoints("http://proxy:8080");
        assertEquals(endpoints.resolve(workload("team-a/echo")), endpoints.resolve(workload("team-a/echo")));
    }

    @Test
    void aServerWithItsOwnUrlIsLeftAsItIs() {
        ServerEntry external = new ServerEntry("team-a/ext", "", "https://mcp.example.com/mcp", true, null, null, null, null);
        assertSame(external, new BackendEndpoints("http://proxy:8080").resolve(external));
    }

    @Test
    void withoutAProxyRunnerUrlAWorkloadServerIsUnreachableAndTheReasonNamesTheKey() {
        ServerEntry resolved = new BackendEndpoints((String) null).resolve(workload("team-a/echo"));
        assertNull(resolved.url());
        String reason = BackendEndpoints.unreachableReason(resolved);
        assertTrue(reason.contains("team-a/echo") && reason.contains("manifold.broker.proxy-runner-url"), reason);
    }

    @Test
    void aBaseThatIsNotAnHttpUrlIsRejectedAtStart() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new BackendEndpoints("manifold-proxy-runner:8080"));
        assertTrue(e.getMessage().contains("manifold.broker.proxy-runner-url"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new BackendEndpoints("http://proxy:8080/?x=1"));
    }
}
