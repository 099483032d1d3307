package dev.manifold.broker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.manifold.broker.testing.FixtureBackends;
import dev.manifold.broker.testing.McpClient;
import dev.manifold.runtime.testing.HostileInput;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 10,000 generated hostile requests against the broker in anonymous mode (standalone, the fixture backends):
 * bad and truncated JSON, wrong types, huge ids, deep nesting, batches, unknown methods, bad, duplicated and
 * oversized headers, bad and stale session ids, wrong methods and paths, form bodies. No answer is a 5xx; every
 * 4xx on /mcp carries a JSON-RPC error; threads and heap stay bounded; a normal client is served all along, and the
 * broker is ready afterwards. The OAuth-mode run is in OAuthModeTest.
 */
@QuarkusTest
@WithTestResource(FixtureBackends.class)
class HostileInputTest {
    static final int REQUESTS = 10_000;
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Test
    void tenThousandHostileRequestsGetNo5xxAndLeaveTheBrokerServing() throws Exception {
        McpClient live = McpClient.initialize();
        McpClient gone = McpClient.initialize();
        given().header("Mcp-Session-Id", gone.sessionId()).delete("/mcp").then().statusCode(200);
        HostileInput.Target target = new HostileInput.Target("localhost", RestAssured.port, "/mcp", Map.of(),
                live::sessionId, gone::sessionId);
        McpClient normal = McpClient.initialize();
        org.awaitility.Awaitility.await("alpha's tools").atMost(java.time.Duration.ofSeconds(30))
                .until(() -> normal.toolNames().contains("alpha_echo"));
        List<String> violations = run(target, REQUESTS, 1L, () -> {
            var response = normal.call("alpha_echo", "still here");
            return response.statusCode() == 200 && response.asString().contains("still here")
                    ? null : response.statusCode() + " " + response.asString();
        });
        assertEquals(List.of(), violations);
        assertTrue(McpClient.initialize().call("alpha_echo", "after").asString().contains("after"),
                "a new client is served afterwards");
    }

    /**
     * Sends {@code count} hostile requests to {@code target} while a normal client calls a tool ({@code normalCall}:
     * null when served, else what went wrong), and checks what a user would notice. Returns the violations.
     */
    static List<String> run(HostileInput.Target target, int count, long seed,
                            java.util.function.Supplier<String> normalCall) throws Exception {
        // warm up, then the baseline
        HostileInput.send(target, HostileInput.generate(target, seed + 1000, 500), 8, 3000);
        long heapBefore = HostileInput.heapAfterGc();
        int threadsBefore = HostileInput.threads();

        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger served = new AtomicInteger();
        List<String> normalFailures = java.util.Collections.synchronizedList(new ArrayList<>());
        Thread client = new Thread(() -> {
            while (running.get()) {
                String failure = normalCall.get();
                if (failure == null) {
                    served.incrementAndGet();
                } else {
                    normalFailures.add(failure);
                }
            }
        }, "normal-client");
        client.start();
        List<HostileInput.Answer> answers;
        try {
            answers = HostileInput.send(target, HostileInput.generate(target, seed, count), 8, 3000);
        } finally {
            running.set(false);
            client.join(30_000);
        }

        List<String> violations = new ArrayList<>();
        for (HostileInput.Answer a : answers) {
            if (a.status() >= 500) {
                violations.add(a.category() + ": HTTP " + a.status() + " " + abbreviate(a.body()));
            } else if (a.status() == 0 && !a.open()) {
                violations.add(a.category() + ": no answer at all");
            } else if (a.status() >= 400 && !rejectedByTheHttpDecoder(a) && !isJsonRpcError(a.body())) {
                violations.add(a.category() + ": HTTP " + a.status() + " without a JSON-RPC error body: " + abbreviate(a.body()));
            }
        }
        long decoder = answers.stream().filter(HostileInputTest::rejectedByTheHttpDecoder).count();
        System.out.printf("hostile input: %d answers came from the HTTP decoder (empty 400/414/431)%n", decoder);
        long heapAfter = HostileInput.heapAfterGc();
        int threadsAfter = HostileInput.threads();
        System.out.printf("hostile input (%d requests, seed %d): %s; normal client served %d calls; heap %d -> %d MiB;"
                        + " threads %d -> %d%n", count, seed, HostileInput.counts(answers), served.get(),
                heapBefore >> 20, heapAfter >> 20, threadsBefore, threadsAfter);
        if (heapAfter - heapBefore > 96L * 1024 * 1024) {
            violations.add("heap grew by " + ((heapAfter - heapBefore) >> 20) + " MiB");
        }
        if (threadsAfter - threadsBefore > 32) {
            violations.add("threads grew from " + threadsBefore + " to " + threadsAfter);
        }
        if (!normalFailures.isEmpty()) {
            violations.add("the normal client failed " + normalFailures.size() + " times, first: " + normalFailures.get(0));
        }
        if (served.get() < 5) {
            violations.add("the normal client was served only " + served.get() + " calls meanwhile");
        }
        if (given().get("/q/health/ready").statusCode() != 200) {
            violations.add("not ready afterwards: " + given().get("/q/health/ready").asString());
        }
        return violations.size() > 20 ? violations.subList(0, 20) : violations;
    }

    /**
     * Refused by Vert.x's HTTP/1.1 decoder before any Manifold code runs (a header over the size limit: 431, a
     * request line over it: 414, bytes not allowed in a header: 400), answered with an empty body and the
     * connection closed. Quarkus gives no hook to write that answer; these are counted and printed, not hidden.
     */
    static boolean rejectedByTheHttpDecoder(HostileInput.Answer a) {
        return a.body().isEmpty() && (a.status() == 400 || a.status() == 414 || a.status() == 431);
    }

    private static boolean isJsonRpcError(String body) {
        try {
            JsonNode node = MAPPER.readTree(body);
            return node != null && "2.0".equals(node.path("jsonrpc").asText()) && node.path("error").path("code").isInt();
        } catch (Exception e) {
            return false;
        }
    }

    private static String abbreviate(String body) {
        return body.length() > 200 ? body.substring(0, 200) + "…" : body;
    }
}
