package dev.manifold.it.conformance;

import static org.awaitility.Awaitility.await;

import dev.manifold.it.support.ItEnvironment;
import dev.manifold.it.support.ManagedProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * integration-tests/node/conformance-fixture.mjs, our MCP server on the official TypeScript SDK that implements
 * everything the conformance suite's server scenarios ask for, on a free loopback port. {@link #start} returns once
 * it printed its {@code listening} line.
 */
final class ConformanceFixture implements AutoCloseable {

    private static final Pattern LISTENING =
            Pattern.compile("conformance-fixture listening on (http://127\\.0\\.0\\.1:\\d+/mcp)");

    private final String url;
    private final ManagedProcess process;

    private ConformanceFixture(String url, ManagedProcess process) {
        this.url = url;
        this.process = process;
    }

    static ConformanceFixture start(String name, Path logDir) {
        Path nodeDir = ItEnvironment.nodeDir();
        int port = ItEnvironment.freePort();
        ManagedProcess process = ManagedProcess.start(name,
                List.of(ItEnvironment.node(), nodeDir.resolve("conformance-fixture.mjs").toString(),
                        "--port", Integer.toString(port)),
                nodeDir, Map.of(), logDir);
        String expected = "http://127.0.0.1:" + port + "/mcp";
        try {
            await(name + " listening on " + port)
                    .atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> {
                        process.assertAlive();
                        Matcher m = LISTENING.matcher(process.logText());
                        while (m.find()) {
                            if (m.group(1).equals(expected)) {
                                return true;
                            }
                        }
                        return false;
                    });
        } catch (RuntimeException | AssertionError e) {
            process.close();
            throw new AssertionError(name + " did not start\n" + process.describe(), e);
        }
        return new ConformanceFixture(expected, process);
    }

    /** Its MCP endpoint, http://127.0.0.1:&lt;port&gt;/mcp. */
    String url() {
        return url;
    }

    ManagedProcess process() {
        return process;
    }

    @Override
    public void close() {
        process.close();
    }
}
