package dev.manifold.it.broker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.manifold.contracts.GatewayConfig;
import dev.manifold.contracts.GatewayConfigCodec;
import dev.manifold.contracts.PrefixMode;
import dev.manifold.contracts.RedisNames;
import dev.manifold.contracts.ServerEntry;
import dev.manifold.it.support.BrokerProcess;
import dev.manifold.it.support.ItEnvironment;
import dev.manifold.it.support.ProcessLogsOnFailure;
import dev.manifold.it.support.RawMcpSession;
import dev.manifold.it.support.RedisCli;
import dev.manifold.it.support.ServerEverything;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two broker processes on one Redis in Kubernetes mode (config from Redis, as the controller publishes it): a session
 * initialized on broker A is served by broker B, then by A again, and survives A being killed.
 */
@ExtendWith(ProcessLogsOnFailure.class)
class ScaleOutIT {
    private static final String PREFIX = "mf-it-" + UUID.randomUUID();
    private static ServerEverything everything;
    private static BrokerProcess a;
    private static BrokerProcess b;

    @BeforeAll
    static void start() {
        Path logs = ItEnvironment.logDir("ScaleOutIT");
        everything = ServerEverything.start("everything", logs);
        GatewayConfig config = GatewayConfigCodec.build(PrefixMode.ALWAYS,
                List.of(new ServerEntry("demo/everything", "ev_", everything.url(), true, null, null, null, null)));
        RedisNames names = new RedisNames(PREFIX);
        RedisCli.run("SET", names.configKey(), new String(GatewayConfigCodec.toJson(config), StandardCharsets.UTF_8));
        a = BrokerProcess.startKubernetesMode("broker-a", PREFIX, Map.of(), logs);
        b = BrokerProcess.startKubernetesMode("broker-b", PREFIX, Map.of(), logs);
        for (BrokerProcess broker : List.of(a, b)) {
            await(broker.mcpUrl() + " serves ev_echo").atMost(Duration.ofSeconds(60)).until(() ->
                    broker.metrics().require("manifold_broker_backends", Map.of("state", "ready")) == 1.0);
        }
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {a, b, everything}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception ignored) {
                // best effort
            }
        }
        RedisCli.deletePrefix(PREFIX);
    }

    @Test
    void aSessionStartedOnOneBrokerIsServedByTheOtherAndSurvivesTheFirstBeingKilled() {
        RawMcpSession session = RawMcpSession.initialize(a.mcpUrl());
        assertTrue(RedisCli.run("EXISTS", new RedisNames(PREFIX).brokerSessionKey(session.sessionId())).equals("1"),
                "the session is stored in Redis");

        RawMcpSession.Reply onB = session.call(b.mcpUrl(), "ev_echo", "{\"message\":\"via b\"}");
        assertTrue(onB.ok(), onB.toString());
        assertEquals("Echo: via b", onB.result().path("content").path(0).path("text").asText());

        RawMcpSession.Reply onA = session.call(a.mcpUrl(), "ev_echo", "{\"message\":\"via a\"}");
        assertTrue(onA.ok(), onA.toString());
        assertEquals("Echo: via a", onA.result().path("content").path(0).path("text").asText());

        // A session deleted on one replica is gone on the other too, even though the other has it cached.
        RawMcpSession doomed = RawMcpSession.initialize(b.mcpUrl());
        assertTrue(doomed.call(a.mcpUrl(), "ev_echo", "{\"message\":\"cached on a\"}").ok());
        assertEquals(200, doomed.delete(b.mcpUrl()));
        await("a drops the deleted session").atMost(Duration.ofSeconds(5))
                .until(() -> doomed.request(a.mcpUrl(), "ping", "{}").status() == 404);

        a.process().kill(); // kill -9: broker A gets no chance to hand anything over
        RawMcpSession.Reply afterKill = session.call(b.mcpUrl(), "ev_echo", "{\"message\":\"a is gone\"}");
        assertTrue(afterKill.ok(), afterKill.toString());
        assertEquals("Echo: a is gone", afterKill.result().path("content").path(0).path("text").asText());
    }
}
