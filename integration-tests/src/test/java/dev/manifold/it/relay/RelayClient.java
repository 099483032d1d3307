package dev.manifold.it.relay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.manifold.it.support.ItEnvironment;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Drives integration-tests/node/mcp-relay-client.mjs: the official TypeScript SDK client declaring sampling,
 * elicitation (form) and roots, answering those server-to-client requests deterministically, recording every
 * notification and every JSON-RPC message on the wire (with the HTTP stream it travelled on). The Java side builds
 * the JSON spec, runs the client and asserts on the one JSON line it prints; it never speaks MCP itself.
 */
final class RelayClient {

    static final ObjectMapper JSON = new ObjectMapper();
    /** The client's sampling answer is this prefix followed by the texts of the request's messages. */
    static final String SAMPLING_REPLY_PREFIX = "manifold-it reply to: ";
    private static final long PROCESS_TIMEOUT_SECONDS = 120;

    private final ObjectNode spec = JSON.createObjectNode();
    private final ArrayNode sessions = spec.putArray("sessions");
    private final ArrayNode calls = spec.putArray("calls");

    RelayClient() {
        spec.put("timeoutMs", 15000);
    }

    /** Adds a session to {@code url} (tools/list is run after initialize, so a failure can show what was listed). */
    RelayClient session(String url) {
        sessions.addObject().put("url", url).put("listTools", true);
        return this;
    }

    /** Adds a tools/call of {@code tool} with {@code args} on session {@code session}. */
    RelayClient call(int session, String tool, Map<String, ?> args) {
        calls.addObject().put("session", session).put("tool", tool).set("args", JSON.valueToTree(args));
        return this;
    }

    /** Adds a tools/call with {@code onprogress} (so with a progressToken) and resetTimeoutOnProgress. */
    RelayClient callWithProgress(int session, String tool, Map<String, ?> args) {
        calls.addObject().put("session", session).put("tool", tool).put("progress", true)
                .put("resetTimeoutOnProgress", true).set("args", JSON.valueToTree(args));
        return this;
    }

    /** Answer sampling requests only once {@code count} of them are pending at the same time (or after 8s). */
    RelayClient samplingBarrier(int count) {
        spec.put("samplingBarrier", count);
        return this;
    }

    /** The answer to every elicitation/create: accept with {@code content}. */
    RelayClient elicitationAccepts(Map<String, ?> content) {
        spec.putObject("elicitation").put("action", "accept").set("content", JSON.valueToTree(content));
        return this;
    }

    /** The answer to every roots/list. */
    RelayClient roots(String uri, String name) {
        spec.putArray("roots").addObject().put("uri", uri).put("name", name);
        return this;
    }

    /** After the calls, wait (up to {@code maxMs}) until at least {@code count} {@code method} notifications came. */
    RelayClient awaitNotifications(String method, int count, long maxMs) {
        spec.put("minNotifications", count).put("notificationMethod", method).put("awaitNotificationsMs", maxMs);
        return this;
    }

    /**
     * Declares only the sampling capability (not elicitation, not roots): server-everything then sends no roots/list
     * after initialize, so sampling/createMessage is a fresh backend session's first server-to-client request, id 0.
     */
    RelayClient samplingOnly() {
        spec.putObject("capabilities").putObject("sampling");
        return this;
    }

    RelayClient sequential() {
        spec.put("sequential", true);
        return this;
    }

    /** Runs the client to the end and returns what it recorded. */
    Run run() {
        Path nodeDir = ItEnvironment.nodeDir();
        List<String> command = List.of(ItEnvironment.node(), "mcp-relay-client.mjs", "-");
        Path stdout = null;
        Path stderr = null;
        Process process = null;
        try {
            stdout = Files.createTempFile("mcp-relay-client", ".out");
            stderr = Files.createTempFile("mcp-relay-client", ".err");
            process = new ProcessBuilder(command).directory(nodeDir.toFile())
                    .redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
            try (OutputStream in = process.getOutputStream()) {
                in.write(JSON.writeValueAsBytes(spec));
            }
            if (!process.waitFor(PROCESS_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                throw new AssertionError("mcp-relay-client did not finish within " + PROCESS_TIMEOUT_SECONDS
                        + "s; spec " + spec + "\nstderr: " + Files.readString(stderr, StandardCharsets.UTF_8));
            }
            String out = Files.readString(stdout, StandardCharsets.UTF_8).strip();
            String err = Files.readString(stderr, StandardCharsets.UTF_8).strip();
            if (out.isEmpty()) {
                throw new AssertionError("mcp-relay-client printed nothing (exit " + process.exitValue() + "): "
                        + err + "\nspec " + spec);
            }
            return new Run(process.exitValue(), JSON.readTree(out), err);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command, e);
        } finally {
            if (process != null && process.isAlive()) {
                process.destroyForcibly();
            }
            deleteQuietly(stdout);
            deleteQuietly(stderr);
        }
    }

    /** What one run of the client recorded (see the header of mcp-relay-client.mjs for the format). */
    record Run(int exitStatus, JsonNode output, String stderr) {

        boolean ok() {
            return output.path("ok").asBoolean(false);
        }

        JsonNode session(int index) {
            return output.path("sessions").path(index);
        }

        JsonNode call(int index) {
            return output.path("calls").path(index);
        }

        /** The call's CallToolResult, or an AssertionError that explains the whole run. */
        JsonNode result(int index) {
            JsonNode call = call(index);
            if (!call.has("result")) {
                throw new AssertionError("tools/call " + call.path("tool").asText() + " got no result: "
                        + call.path("error") + "\n" + explain());
            }
            return call.get("result");
        }

        /** All text content items of the call's result, joined by newlines. */
        String resultText(int index) {
            StringBuilder text = new StringBuilder();
            result(index).path("content").forEach(c -> text.append(c.path("text").asText()).append('\n'));
            return text.toString();
        }

        /** The server-to-client requests the client answered, in arrival order. */
        List<JsonNode> serverRequests(String method) {
            return filter(output.path("serverRequests"), r -> method.equals(r.path("method").asText()));
        }

        List<JsonNode> serverRequests(String method, int session) {
            return filter(output.path("serverRequests"), r -> method.equals(r.path("method").asText())
                    && r.path("session").asInt() == session);
        }

        List<JsonNode> notifications(String method) {
            return filter(output.path("notifications"), n -> method.equals(n.path("method").asText()));
        }

        /** Every message of session {@code session} the client received, as recorded on the wire. */
        List<JsonNode> received(int session, Predicate<JsonNode> message) {
            return filter(output.path("wire"), w -> "in".equals(w.path("dir").asText())
                    && w.path("session").asInt() == session && message.test(w.path("message")));
        }

        /** The JSON-RPC id the client used for its tools/call of call {@code index} (from the wire). */
        JsonNode toolsCallId(int index) {
            JsonNode call = call(index);
            for (JsonNode w : output.path("wire")) {
                JsonNode m = w.path("message");
                if ("out".equals(w.path("dir").asText()) && w.path("session").asInt() == call.path("session").asInt()
                        && "tools/call".equals(m.path("method").asText())
                        && call.path("tool").asText().equals(m.path("params").path("name").asText())
                        && call.path("args").equals(m.path("params").path("arguments"))) {
                    return m.path("id");
                }
            }
            throw new AssertionError("no tools/call for call " + index + " on the wire\n" + explain());
        }

        List<JsonNode> clientErrors() {
            return filter(output.path("clientErrors"), e -> true);
        }

        /** A readable account of the run, for failure messages: sessions, calls, server requests, the wire. */
        String explain() {
            StringBuilder s = new StringBuilder("--- mcp-relay-client run (exit ").append(exitStatus).append(") ---\n");
            for (JsonNode session : output.path("sessions")) {
                s.append("session ").append(session.path("index")).append(' ').append(session.path("url").asText())
                        .append(": sessionId ").append(session.path("sessionId")).append(", protocol ")
                        .append(session.path("protocolVersion")).append(", GET stream ")
                        .append(session.path("getStream")).append(", ")
                        .append(session.has("tools") ? session.get("tools").size() + " tools listed "
                                + session.get("tools") : "no tool list");
                if (session.has("error")) {
                    s.append(", ERROR ").append(session.get("error"));
                }
                s.append('\n');
            }
            for (JsonNode call : output.path("calls")) {
                s.append("call ").append(call.path("index")).append(" (session ").append(call.path("session"))
                        .append(") ").append(call.path("tool").asText()).append(' ').append(call.path("args"))
                        .append(" -> ").append(call.has("result") ? "result " + abbreviate(call.get("result"))
                                : "ERROR " + call.path("error"))
                        .append(", ").append(call.path("progress").size()).append(" progress notifications\n");
            }
            s.append("server-to-client requests answered: ").append(output.path("serverRequests").size()).append('\n');
            for (JsonNode r : output.path("serverRequests")) {
                s.append("  session ").append(r.path("session")).append(' ').append(r.path("method").asText())
                        .append(" id ").append(r.path("id")).append(' ').append(abbreviate(r.path("params")))
                        .append('\n');
            }
            s.append("notifications handled: ").append(output.path("notifications").size()).append('\n');
            for (JsonNode e : output.path("clientErrors")) {
                s.append("client error (session ").append(e.path("session")).append("): ")
                        .append(e.path("message").asText()).append('\n');
            }
            s.append("wire:\n");
            for (JsonNode w : output.path("wire")) {
                s.append("  #").append(w.path("seq")).append(" s").append(w.path("session")).append(' ')
                        .append(w.path("dir").asText()).append(' ').append(w.path("stream").asText())
                        .append(w.path("postIds").isEmpty() ? "" : " of POST ids " + w.path("postIds")).append(": ")
                        .append(abbreviate(w.path("message"))).append('\n');
            }
            if (!stderr.isBlank()) {
                s.append("stderr: ").append(stderr).append('\n');
            }
            return s.toString();
        }

        private static String abbreviate(JsonNode node) {
            String text = node.toString();
            return text.length() <= 300 ? text : text.substring(0, 300) + "...";
        }

        private static List<JsonNode> filter(JsonNode array, Predicate<JsonNode> keep) {
            List<JsonNode> kept = new ArrayList<>();
            array.forEach(n -> {
                if (keep.test(n)) {
                    kept.add(n);
                }
            });
            return kept;
        }
    }

    private static void deleteQuietly(Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // a temp file left behind is harmless
            }
        }
    }
}
