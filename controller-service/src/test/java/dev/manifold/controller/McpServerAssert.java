package dev.manifold.controller;

import dev.manifold.controller.api.v1alpha1.ConditionReasons;
import dev.manifold.controller.api.v1alpha1.MCPServer;
import dev.manifold.controller.api.v1alpha1.MCPServerStatus;
import io.fabric8.kubernetes.api.model.Condition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Assertions about an MCPServer's status in the terms a user reads it ({@code kubectl get mcps}):
 * {@code McpServerAssert.assertThat(server).isAccepted().isReady().hasTools(7)}. Each failure names the server and
 * shows its conditions.
 */
public final class McpServerAssert {
    private final MCPServer server;

    private McpServerAssert(MCPServer server) {
        this.server = server;
    }

    public static McpServerAssert assertThat(MCPServer server) {
        assertNotNull(server, "no such MCPServer");
        return new McpServerAssert(server);
    }

    private String id() {
        return server.getMetadata().getNamespace() + "/" + server.getMetadata().getName();
    }

    private String shown() {
        return id() + " has conditions " + (server.getStatus() == null ? "none" : server.getStatus().getConditions());
    }

    /** The condition of this type, which must exist. */
    public Condition condition(String type) {
        assertNotNull(server.getStatus(), id() + " has no status");
        return server.getStatus().condition(type).orElseThrow(() -> new AssertionError(id() + " has no " + type
                + " condition: " + shown()));
    }

    /** {@code type} has this status ("True"/"False") and reason. */
    public McpServerAssert has(String type, String status, String reason) {
        Condition c = condition(type);
        assertEquals(status, c.getStatus(), shown());
        assertEquals(reason, c.getReason(), shown());
        return this;
    }

    /** Accepted=True for the current generation. */
    public McpServerAssert isAccepted() {
        Condition c = condition(MCPServerStatus.ACCEPTED);
        assertEquals("True", c.getStatus(), shown());
        assertEquals(server.getMetadata().getGeneration(), c.getObservedGeneration(), id() + ": Accepted is stale");
        return this;
    }

    /** Not accepted for {@code reason}, with a message containing {@code messagePart}, and so not Ready either. */
    public McpServerAssert isRejected(String reason, String messagePart) {
        has(MCPServerStatus.ACCEPTED, "False", reason);
        assertTrue(condition(MCPServerStatus.ACCEPTED).getMessage().contains(messagePart), shown());
        assertEquals("False", condition(MCPServerStatus.READY).getStatus(), shown());
        return this;
    }

    /** Lost its prefix to {@code winner} ({@code namespace/name}): Accepted=False, Conflict=True, the winner named. */
    public McpServerAssert lostItsPrefixTo(String winner) {
        has(MCPServerStatus.ACCEPTED, "False", ConditionReasons.PREFIX_CONFLICT);
        assertTrue(condition(MCPServerStatus.ACCEPTED).getMessage().contains("'" + winner + "'"), shown());
        assertEquals("True", condition(MCPServerStatus.CONFLICT).getStatus(), shown());
        return this;
    }

    /** Conflict=False. */
    public McpServerAssert hasNoConflict() {
        assertEquals("False", condition(MCPServerStatus.CONFLICT).getStatus(), shown());
        return this;
    }

    /** Ready=True, with the broker-reported health and tool count. */
    public McpServerAssert isReadyWithTools(int tools) {
        assertEquals("True", condition(MCPServerStatus.READY).getStatus(), shown());
        assertEquals("Ready", server.getStatus().getHealth(), shown());
        assertEquals(tools, server.getStatus().getTools(), shown());
        return this;
    }
}
