package dev.manifold.it.broker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.manifold.contracts.GatewayConfig;
import dev.manifold.contracts.GatewayConfigCodec;
import dev.manifold.contracts.PrefixMode;
import dev.manifold.contracts.RedisNames;
import dev.manifold.contracts.ServerEntry;
import dev.manifold.it.support.BrokerProcess;
import dev.manifold.it.support.ItEnvironment;
import dev.manifold.it.support.ProcessLogsOnFailure;
import dev.manifold.it.support.RedisCli;
import dev.manifold.it.support.ServerEverything;
import dev.manifold.runtime.testing.TestIssuer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
 * Session hijack across two broker replicas in OAuth mode, sharing sessions through Redis: a session alice opened on
 * broker A, named by mallory on broker B (with mallory's valid token), is answered exactly as an unknown session
 * (404, -32001) on POST, GET and DELETE, and stays alice's: her refreshed token uses it on B.
 */
@ExtendWith(ProcessLogsOnFailure.class)
class OAuthScaleOutIT {
    private static final String RESOURCE = "https://manifold.it.test/mcp";
    private static final String PREFIX = "mf-it-" + UUID.randomUUID();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static TestIssuer issuer;
    private static ServerEverything everything;
    private static BrokerProcess a;
    private static BrokerProcess b;

    @BeforeAll
    static void start() {
        Path logs = ItEnvironment.logDir("OAuthScaleOutIT");
        issuer = new TestIssuer();
        everything = ServerEverything.start("everything", logs);
        GatewayConfig config = GatewayConfigCodec.build(PrefixMode.ALWAYS,
                List.of(new ServerEntry("demo/everything", "ev_", everything.url(), true, null, null, null, null)));
        RedisCli.run("SET", new RedisNames(PREFIX).configKey(), new String(GatewayConfigCodec.toJson(config), StandardCharsets.UTF_8));
        Map<String, String> oauth = Map.of(
                "manifold.broker.auth.mode", "oauth",
                "manifold.broker.auth.resource", RESOURCE,
                "manifold.broker.auth.issuer", issuer.issuer(),
                "manifold.broker.auth.jwks-url", issuer.jwksUrl());
        a = BrokerProcess.startKubernetesMode("broker-a", PREFIX, oauth, logs);
        b = BrokerProcess.startKubernetesMode("broker-b", PREFIX, oauth, logs);
        for (BrokerProcess broker : List.of(a, b)) {
            await(broker.mcpUrl() + " serves ev_echo").atMost(Duration.ofSeconds(60)).until(() ->
                    broker.metrics().require("manifold_broker_backends", Map.of("state", "ready")) == 1.0);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {a, b, everything, issuer}) {
            if (c != null) {
                c.close();
            }
        }
        RedisCli.deletePrefix(PREFIX);
    }

    private static HttpResponse<String> send(BrokerProcess broker, String method, String token, String sid, String body)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(broker.mcpUrl()))
                .header("Accept", method.equals("GET") ? "text/event-stream" : "application/json, text/event-stream")
                .timeout(Duration.ofSeconds(20));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        if (sid != null) {
            request.header("Mcp-Session-Id", sid);
        }
        switch (method) {
            case "POST" -> request.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
            case "DELETE" -> request.DELETE();
            default -> request.GET();
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String call(String message) {
        return "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"ev_echo\","
                + "\"arguments\":{\"message\":\"" + message + "\"}}}";
    }

    /** The JSON-RPC message of a JSON answer, or of the last data line of an SSE answer. */
    private static JsonNode message(HttpResponse<String> response) throws Exception {
        String body = response.body();
        if (response.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream")) {
            List<String> data = body.lines().filter(l -> l.startsWith("data:")).map(l -> l.substring(5).trim())
                    .filter(l -> !l.isEmpty()).toList();
            body = data.get(data.size() - 1);
        }
        return JSON.readTree(body);
    }

    @Test
    void anotherPrincipalsSessionIdIsUnknownOnEveryReplicaAndTheOwnersRefreshedTokenKeepsIt() throws Exception {
        String alice = issuer.token("alice", RESOURCE);
        HttpResponse<String> init = send(a, "POST", alice, null, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\","
                + "\"params\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"it\",\"version\":\"1\"}}}");
        assertEquals(200, init.statusCode(), init.body());
        String sid = init.headers().firstValue("Mcp-Session-Id").orElseThrow();
        assertEquals(202, send(a, "POST", alice, sid, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}").statusCode());

        String mallory = issuer.token("mallory", RESOURCE);
        for (BrokerProcess broker : List.of(b, a)) {
            HttpResponse<String> post = send(broker, "POST", mallory, sid, call("stolen"));
            assertEquals(404, post.statusCode(), post.body());
            assertEquals(-32001, JSON.readTree(post.body()).path("error").path("code").asInt(), post.body());
            assertEquals(404, send(broker, "GET", mallory, sid, null).statusCode());
            assertEquals(404, send(broker, "DELETE", mallory, sid, null).statusCode());
        }
        HttpResponse<String> unknown = send(b, "POST", mallory, "0".repeat(32), call("unknown"));
        assertEquals(unknown.statusCode(), 404);
        assertEquals(JSON.readTree(unknown.body()).path("error"), JSON.readTree(
                send(b, "POST", mallory, sid, call("stolen")).body()).path("error"), "a foreign session reads as an unknown one");
        assertEquals(401, send(b, "POST", null, sid, call("anonymous")).statusCode());

        // Alice, with a new token (same iss and sub), on the other replica: her session, untouched by mallory's DELETE.
        String refreshed = issuer.token("key-1", "alice", RESOURCE, c -> c.claim("jti", UUID.randomUUID().toString()));
        assertTrue(!refreshed.equals(alice), "a new token");
        HttpResponse<String> own = send(b, "POST", refreshed, sid, call("still mine"));
        assertEquals(200, own.statusCode(), own.body());
        assertEquals("Echo: still mine", message(own).path("result").path("content").path(0).path("text").asText(), own.body());
    }
}
