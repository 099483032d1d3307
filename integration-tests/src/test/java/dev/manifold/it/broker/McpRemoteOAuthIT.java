package dev.manifold.it.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.manifold.it.support.BrokerConfigFile;
import dev.manifold.it.support.BrokerConfigFile.Server;
import dev.manifold.it.support.BrokerProcess;
import dev.manifold.it.support.ItEnvironment;
import dev.manifold.it.support.ProcessLogsOnFailure;
import dev.manifold.it.support.ServerEverything;
import dev.manifold.runtime.testing.TestIssuer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The broker in OAuth resource-server mode, through the client bridge desktop MCP clients use: {@code mcp-remote}
 * (npm) given a bearer token with {@code --header} initializes, lists the tools and calls one through the broker to
 * server-everything, over stdio as Claude Desktop would. Without a token the broker answers 401 with the
 * resource-metadata challenge, and the metadata document names the issuer.
 */
@ExtendWith(ProcessLogsOnFailure.class)
class McpRemoteOAuthIT {
    private static final String RESOURCE = "https://manifold.it.test/mcp";
    private static final ObjectMapper JSON = new ObjectMapper();

    private static TestIssuer issuer;
    private static ServerEverything alpha;
    private static BrokerProcess broker;

    @BeforeAll
    static void start() {
        Path logs = ItEnvironment.logDir("McpRemoteOAuthIT");
        issuer = new TestIssuer();
        alpha = ServerEverything.start("alpha", logs);
        BrokerConfigFile config = new BrokerConfigFile(ItEnvironment.workDir("McpRemoteOAuthIT").resolve("standalone.yaml"));
        config.writeInPlace(BrokerConfigFile.yaml("always", List.of(Server.of("alpha", alpha.url(), "alpha_"))));
        broker = BrokerProcess.start("broker", config.path(), Map.of(
                "manifold.broker.auth.mode", "oauth",
                "manifold.broker.auth.resource", RESOURCE,
                "manifold.broker.auth.issuer", issuer.issuer(),
                "manifold.broker.auth.jwks-url", issuer.jwksUrl()), logs);
    }

    @AfterAll
    static void stop() throws Exception {
        if (broker != null) {
            broker.close();
        }
        if (alpha != null) {
            alpha.close();
        }
        if (issuer != null) {
            issuer.close();
        }
    }

    private static String url() {
        return "http://localhost:" + broker.port() + "/mcp";
    }

    @Test
    void withoutATokenTheBrokerAnswers401NamingItsMetadata() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> denied = http.send(HttpRequest.newBuilder(URI.create(url()))
                .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\","
                        + "\"params\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"
                        + "\"clientInfo\":{\"name\":\"it\",\"version\":\"1\"}}}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(401, denied.statusCode(), denied.body());
        assertEquals("Bearer resource_metadata=\"https://manifold.it.test/.well-known/oauth-protected-resource/mcp\"",
                denied.headers().firstValue("WWW-Authenticate").orElse(""));
        assertEquals(-32011, JSON.readTree(denied.body()).path("error").path("code").asInt());
        HttpResponse<String> metadata = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + broker.port()
                + "/.well-known/oauth-protected-resource/mcp")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, metadata.statusCode());
        assertEquals(issuer.issuer(), JSON.readTree(metadata.body()).path("authorization_servers").path(0).asText());
    }

    @Test
    void mcpRemoteWithABearerTokenListsAndCallsToolsThroughTheBroker() throws Exception {
        String token = issuer.token("desktop-user", RESOURCE);
        Path log = ItEnvironment.logDir("McpRemoteOAuthIT").resolve("mcp-remote.log");
        Process bridge = new ProcessBuilder(ItEnvironment.node(),
                ItEnvironment.nodeDir().resolve("node_modules/mcp-remote/dist/proxy.js").toString(),
                url(), "--header", "Authorization:Bearer " + token, "--transport", "http-only")
                .redirectError(log.toFile()).start();
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(bridge.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    lines.add(line);
                }
            } catch (java.io.IOException ended) {
                // the bridge exited
            }
        }, "mcp-remote-stdout");
        reader.setDaemon(true);
        reader.start();
        try (OutputStream stdin = bridge.getOutputStream()) {
            send(stdin, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
                    + "\"capabilities\":{},\"clientInfo\":{\"name\":\"desktop\",\"version\":\"1\"}}}");
            JsonNode init = answer(lines, 1, bridge, log);
            assertEquals("manifold-broker", init.path("result").path("serverInfo").path("name").asText(), init.toString());
            send(stdin, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");

            List<String> names = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            int id = 2;
            while (!names.contains("alpha_echo") && System.nanoTime() < deadline) {
                send(stdin, "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"tools/list\"}");
                JsonNode list = answer(lines, id++, bridge, log);
                names.clear();
                list.path("result").path("tools").forEach(t -> names.add(t.path("name").asText()));
            }
            assertTrue(names.contains("alpha_echo"), "tools through mcp-remote: " + names);

            send(stdin, "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"tools/call\",\"params\":{\"name\":\"alpha_echo\","
                    + "\"arguments\":{\"message\":\"through the bridge\"}}}");
            JsonNode call = answer(lines, id, bridge, log);
            assertTrue(call.path("result").path("content").toString().contains("through the bridge"), call.toString());
        } finally {
            bridge.destroy();
            if (!bridge.waitFor(10, TimeUnit.SECONDS)) {
                bridge.destroyForcibly();
            }
        }
    }

    private static void send(OutputStream stdin, String message) throws java.io.IOException {
        stdin.write((message + "\n").getBytes(StandardCharsets.UTF_8));
        stdin.flush();
    }

    /** The bridge's answer to request {@code id} (other lines, such as notifications, are skipped). */
    private static JsonNode answer(BlockingQueue<String> lines, int id, Process bridge, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            String line = lines.poll(500, TimeUnit.MILLISECONDS);
            if (line == null) {
                if (!bridge.isAlive()) {
                    throw new AssertionError("mcp-remote exited (" + bridge.exitValue() + "): "
                            + java.nio.file.Files.readString(log));
                }
                continue;
            }
            JsonNode node;
            try {
                node = JSON.readTree(line);
            } catch (Exception notJson) {
                continue;
            }
            if (node.path("id").asInt(-1) == id) {
                return node;
            }
        }
        throw new AssertionError("no answer to " + id + " from mcp-remote within 60 s: " + java.nio.file.Files.readString(log));
    }
}
