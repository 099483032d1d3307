package dev.manifold.it.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.manifold.it.support.BrokerConfigFile;
import dev.manifold.it.support.BrokerConfigFile.Server;
import dev.manifold.it.support.BrokerProcess;
import dev.manifold.it.support.ItEnvironment;
import dev.manifold.it.support.McpClientCli;
import dev.manifold.it.support.ProcessLogsOnFailure;
import dev.manifold.it.support.ServerEverything;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The packaged broker in standalone mode in front of two real server-everything processes, seen through the
 * official TypeScript SDK client: the aggregated tool list (prefixes applied, filter honoured, pagination followed)
 * and tools/call routed to the right backend with its result intact.
 */
@ExtendWith(ProcessLogsOnFailure.class)
class StandaloneBrokerIT {

    private static final List<String> ALPHA_INCLUDE = List.of("echo", "get-*");
    private static final List<String> ALPHA_EXCLUDE = List.of("get-tiny-image");
    /** Small pages, so the aggregated list (over 20 tools) must be paginated to the client. */
    private static final int PAGE_SIZE = 5;

    private static ServerEverything alpha;
    private static ServerEverything beta;
    private static BrokerProcess broker;

    @BeforeAll
    static void startBackendsAndBroker() {
        Path logs = ItEnvironment.logDir("StandaloneBrokerIT");
        alpha = ServerEverything.start("alpha", logs);
        beta = ServerEverything.start("beta", logs);
        BrokerConfigFile config = new BrokerConfigFile(ItEnvironment.workDir("StandaloneBrokerIT")
                .resolve("standalone.yaml"));
        config.writeInPlace(BrokerConfigFile.yaml("always", List.of(
                Server.of("alpha", alpha.url(), "alpha_").withFilter(ALPHA_INCLUDE, ALPHA_EXCLUDE),
                Server.of("beta", beta.url(), "beta_"))));
        broker = BrokerProcess.start("broker", config.path(),
                Map.of("manifold.broker.page-size", Integer.toString(PAGE_SIZE)), logs);
        // Ready means the config is applied; backends connect asynchronously. Wait until both contribute tools.
        await("both backends' tools listed by the broker").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> broker.client().listTools().toolNames(),
                        names -> names.stream().anyMatch(n -> n.startsWith("alpha_"))
                                && names.stream().anyMatch(n -> n.startsWith("beta_")));
    }

    @AfterAll
    static void stopAll() {
        for (AutoCloseable c : new AutoCloseable[] {broker, beta, alpha}) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // each close already escalates to a forced kill
                }
            }
        }
    }

    @Test
    void toolListIsTheUnionOfBothBackendsWithPrefixesAndTheFilterAppliedAcrossPages() {
        // The aggregate is what a client declaring what the broker can relay (sampling, elicitation, roots) sees.
        McpClientCli.Session alphaDirect = new McpClientCli(alpha.url()).withCapabilities(McpClientCli.BROKER_DISCOVERY_CAPABILITIES).listTools();
        McpClientCli.Session betaDirect = new McpClientCli(beta.url()).withCapabilities(McpClientCli.BROKER_DISCOVERY_CAPABILITIES).listTools();
        Set<String> expected = new TreeSet<>();
        alphaDirect.toolNames().stream().filter(StandaloneBrokerIT::alphaFilterAllows)
                .forEach(n -> expected.add("alpha_" + n));
        betaDirect.toolNames().forEach(n -> expected.add("beta_" + n));

        McpClientCli.Session viaBroker = broker.client().listTools();

        TreeSet<String> names = viaBroker.toolNames();
        assertEquals(expected, names);
        assertEquals(viaBroker.tools().size(), names.size(), "no tool is listed twice");
        assertEquals((names.size() + PAGE_SIZE - 1) / PAGE_SIZE, viaBroker.toolPages(),
                "the aggregated list is offered in pages of " + PAGE_SIZE);
        assertTrue(names.containsAll(List.of("alpha_echo", "alpha_get-env", "alpha_get-sum", "beta_echo",
                "beta_get-tiny-image", "beta_gzip-file-as-resource")), names::toString);
        for (String filtered : List.of("alpha_get-tiny-image", "alpha_gzip-file-as-resource", "echo")) {
            assertTrue(!names.contains(filtered), filtered + " must not be listed: " + names);
        }
        names.forEach(n -> assertTrue(n.matches("[A-Za-z0-9_-]{1,64}"), n + " matches [A-Za-z0-9_-]{1,64}"));
        // A tool's definition passes through unchanged apart from its name.
        for (String name : List.of("echo", "get-structured-content")) {
            JsonNode direct = betaDirect.tool(name).deepCopy();
            JsonNode brokered = viaBroker.tool("beta_" + name).deepCopy();
            ((ObjectNode) direct).remove("name");
            ((ObjectNode) brokered).remove("name");
            assertEquals(direct, brokered, "definition of beta_" + name);
        }
    }

    @Test
    void echoCallIsRoutedToItsBackendWithTheResultIntact() {
        String args = "{\"message\":\"hello through the broker\"}";
        JsonNode direct = new McpClientCli(alpha.url()).call("echo", args).callResult();

        JsonNode viaBroker = broker.client().call("alpha_echo", args).callResult();

        assertEquals(direct, viaBroker);
        assertEquals("Echo: hello through the broker", viaBroker.at("/content/0/text").asText());
    }

    @Test
    void structuredContentComesBackUntouched() {
        String args = "{\"location\":\"Chicago\"}";
        JsonNode direct = new McpClientCli(beta.url()).call("get-structured-content", args).callResult();

        JsonNode viaBroker = broker.client().call("beta_get-structured-content", args).callResult();

        assertEquals(direct, viaBroker);
        assertNotNull(viaBroker.get("structuredContent"), viaBroker::toString);
        assertEquals(36, viaBroker.at("/structuredContent/temperature").asInt(), viaBroker::toString);
    }

    @Test
    void eachPrefixReachesItsOwnBackend() {
        // get-env returns the backend process's environment, which names the instance.
        String alphaEnv = broker.client().call("alpha_get-env", "{}").callResult().at("/content/0/text").asText();
        String betaEnv = broker.client().call("beta_get-env", "{}").callResult().at("/content/0/text").asText();

        assertTrue(alphaEnv.contains("\"" + ServerEverything.IDENTITY_VARIABLE + "\": \"alpha\""), alphaEnv);
        assertTrue(betaEnv.contains("\"" + ServerEverything.IDENTITY_VARIABLE + "\": \"beta\""), betaEnv);
    }

    @Test
    void aToolRemovedByTheFilterCannotBeCalled() {
        McpClientCli.Session session = broker.client().call("alpha_get-tiny-image", "{}");

        boolean rejected = !session.ok() || session.callResult().path("isError").asBoolean(false);
        assertTrue(rejected, () -> "calling a filtered-out tool is rejected: " + session);
    }

    @Test
    void sessionsEndCleanlyWithDelete() {
        // Each client run is one session that ends with DELETE /mcp; the broker must accept every one of them.
        for (int i = 0; i < 10; i++) {
            McpClientCli.Session session = broker.client().call("beta_echo", "{\"message\":\"bye " + i + "\"}");
            session.requireOk();
            assertTrue(session.closedCleanly(), () -> "DELETE of the session was rejected: " + session);
        }
    }

    private static boolean alphaFilterAllows(String name) {
        return ALPHA_INCLUDE.stream().anyMatch(g -> glob(g).matches(Path.of(name)))
                && ALPHA_EXCLUDE.stream().noneMatch(g -> glob(g).matches(Path.of(name)));
    }

    private static PathMatcher glob(String pattern) {
        return FileSystems.getDefault().getPathMatcher("glob:" + pattern);
    }
}
