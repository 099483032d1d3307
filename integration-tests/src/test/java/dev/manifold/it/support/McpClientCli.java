package dev.manifold.it.support;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Drives the official TypeScript SDK client (integration-tests/node/mcp-client.mjs, StreamableHTTPClientTransport)
 * against one MCP endpoint: each call is one real MCP session (initialize, the operations, DELETE). The Java side
 * only asserts on the JSON the client prints; it never speaks MCP itself.
 */
public final class McpClientCli {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long TIMEOUT_SECONDS = 90;
    /** The line mcp-client.mjs prints on stderr once its GET stream is open (watch-list-changed). */
    private static final String WATCHING_MARKER = "MCP-CLIENT-WATCHING";

    /** What the broker's own discovery session declares (BrokerConfig discovery-capabilities, default). */
    public static final String BROKER_DISCOVERY_CAPABILITIES = "{\"sampling\":{},\"elicitation\":{},\"roots\":{\"listChanged\":true}}";

    private final String url;
    private final String capabilities;

    public McpClientCli(String url) {
        this(url, null);
    }

    private McpClientCli(String url, String capabilities) {
        this.url = url;
        this.capabilities = capabilities;
    }

    /** A client declaring these capabilities (JSON) at initialize. */
    public McpClientCli withCapabilities(String capabilitiesJson) {
        return new McpClientCli(url, capabilitiesJson);
    }

    /** The outcome of one client session: the JSON it printed, plus its exit status and stderr for diagnosis. */
    public record Session(int exitStatus, JsonNode output, String stderr) {

        /** Initialize and every operation succeeded (the closing DELETE is judged by {@link #closedCleanly()}). */
        public boolean ok() {
            return output.has("serverInfo") && !output.has("error");
        }

        /** The session's closing DELETE was accepted (2xx, or 405 where the server does not allow it). */
        public boolean closedCleanly() {
            return !output.has("deleteError");
        }

        /** Every tool of tools/list (all pages), in the order the server listed them. */
        public List<JsonNode> tools() {
            requireOk();
            List<JsonNode> tools = new ArrayList<>();
            output.get("tools").forEach(tools::add);
            return tools;
        }

        /** How many tools/list pages the server returned (1 when it did not paginate). */
        public int toolPages() {
            requireOk();
            return output.get("toolPages").asInt();
        }

        /** The sorted set of tool names. */
        public TreeSet<String> toolNames() {
            TreeSet<String> names = new TreeSet<>();
            tools().forEach(t -> names.add(t.get("name").asText()));
            return names;
        }

        /** The tool definition named {@code name}, or an AssertionError listing what exists. */
        public JsonNode tool(String name) {
            return tools().stream().filter(t -> name.equals(t.get("name").asText())).findFirst()
                    .orElseThrow(() -> new AssertionError("no tool " + name + " in " + toolNames()));
        }

        /** How many notifications/tools/list_changed arrived during watch-list-changed. */
        public int listChangedCount() {
            requireOk();
            return output.get("listChanged").get("count").asInt();
        }

        /** The tools/call result exactly as the server sent it. */
        public JsonNode callResult() {
            requireOk();
            return output.get("call");
        }

        public void requireOk() {
            if (!ok()) {
                throw new AssertionError("MCP client session failed (exit " + exitStatus + "): " + output
                        + "\nstderr: " + stderr);
            }
        }

        @Override
        public String toString() {
            return "exit " + exitStatus + ": " + output + (stderr.isBlank() ? "" : "\nstderr: " + stderr);
        }
    }

    /** tools/list, following nextCursor to the end. */
    public Session listTools() {
        return run(List.of("tools"));
    }

    /** tools/call of {@code tool} with {@code argumentsJson}. */
    public Session call(String tool, String argumentsJson) {
        return run(List.of("call", tool, argumentsJson));
    }

    /**
     * Starts a session that opens its GET stream and waits up to {@code max} for notifications/tools/list_changed
     * (counting further ones for {@code settle} after the first), then lists the tools. Call
     * {@link Running#awaitWatching()} before causing the change, then {@link Running#finish()}.
     */
    public Running watchListChanged(Duration settle, Duration max) {
        return start(List.of("watch-list-changed", Long.toString(settle.toMillis()), Long.toString(max.toMillis()),
                "tools"));
    }

    private Session run(List<String> operations) {
        return start(operations).finish();
    }

    private Running start(List<String> operations) {
        Path nodeDir = ItEnvironment.nodeDir();
        List<String> command = new ArrayList<>(List.of(ItEnvironment.node(), "mcp-client.mjs", "--url", url,
                "--timeout-ms", "20000"));
        if (capabilities != null) {
            command.addAll(List.of("--capabilities", capabilities));
        }
        command.addAll(operations);
        try {
            Path stdout = Files.createTempFile("mcp-client", ".out");
            Path stderr = Files.createTempFile("mcp-client", ".err");
            Process process = new ProcessBuilder(command).directory(nodeDir.toFile())
                    .redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
            return new Running(command, process, stdout, stderr);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command, e);
        }
    }

    /** A client session still in progress (a child process whose output goes to temp files). */
    public static final class Running {
        private final List<String> command;
        private final Process process;
        private final Path stdout;
        private final Path stderr;

        private Running(List<String> command, Process process, Path stdout, Path stderr) {
            this.command = command;
            this.process = process;
            this.stdout = stdout;
            this.stderr = stderr;
        }

        /** Waits until the client has its GET stream open and is listening for list_changed. */
        public Running awaitWatching() {
            await("mcp-client listening on its GET stream").atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> {
                        String err = Files.readString(stderr, StandardCharsets.UTF_8);
                        if (!err.contains(WATCHING_MARKER) && !process.isAlive()) {
                            throw new AssertionError("mcp-client exited before watching: " + finish());
                        }
                        return err.contains(WATCHING_MARKER);
                    });
            return this;
        }

        /** Waits for the session to end and returns what it printed. */
        public Session finish() {
            try {
                if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    throw new AssertionError("mcp-client did not finish within " + TIMEOUT_SECONDS + "s: "
                            + command);
                }
                String out = Files.readString(stdout, StandardCharsets.UTF_8).strip();
                String err = Files.readString(stderr, StandardCharsets.UTF_8).strip();
                if (out.isEmpty()) {
                    throw new AssertionError("mcp-client printed nothing (exit " + process.exitValue() + "): "
                            + err);
                }
                return new Session(process.exitValue(), JSON.readTree(out), err);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the output of " + command, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while running " + command, e);
            } finally {
                if (process.isAlive()) {
                    process.destroyForcibly();
                }
                deleteQuietly(stdout);
                deleteQuietly(stderr);
            }
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
