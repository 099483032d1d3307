package dev.manifold.it.relay;

import static org.awaitility.Awaitility.await;

import dev.manifold.it.support.BrokerConfigFile;
import dev.manifold.it.support.BrokerConfigFile.Server;
import dev.manifold.it.support.BrokerProcess;
import dev.manifold.it.support.ItEnvironment;
import dev.manifold.it.support.McpClientCli;
import dev.manifold.it.support.ServerEverything;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Real server-everything backends (streamableHttp, free ports) and the packaged broker in standalone mode in front of
 * them, each backend under the prefix {@code <name>_} ({@code prefixMode: always}). Every relay test runs the same
 * scenario twice: {@link Target#direct directly} against a backend, which proves the scenario and the client, then
 * {@link Target#broker through the broker}.
 */
final class RelayFixture implements AutoCloseable {

    /** Where a test's client connects, and the name a backend tool has there. */
    record Target(String label, String url, String prefix) {

        static Target direct(ServerEverything backend) {
            return new Target("direct", backend.url(), "");
        }

        static Target broker(BrokerProcess broker, ServerEverything backend) {
            return new Target("broker", broker.mcpUrl(), backend.name() + "_");
        }

        boolean viaBroker() {
            return label.equals("broker");
        }

        /** The name of server-everything's tool {@code tool} at this target. */
        String tool(String tool) {
            return prefix + tool;
        }

        /**
         * Why a broker variant fails while its direct twin passes: the broker must relay server-to-client traffic
         * (issue 6). Appended to the assertion messages of broker variants.
         */
        String hint() {
            return viaBroker() ? "\n[through the broker: the broker must relay the backend's server-to-client "
                    + "traffic of this tools/call to the client and the client's answers back to the same backend "
                    + "(issue 6); the direct variant of this test shows what the client sees without the broker]"
                    : "";
        }

        @Override
        public String toString() {
            return label;
        }
    }

    private final Map<String, ServerEverything> backends = new LinkedHashMap<>();
    private BrokerProcess broker;

    /** Starts one server-everything per name, then a broker on all of them, and waits until it lists their tools. */
    static RelayFixture start(String testClass, String... backendNames) {
        Path logs = ItEnvironment.logDir(testClass);
        RelayFixture fixture = new RelayFixture();
        try {
            for (String name : backendNames) {
                fixture.backends.put(name, ServerEverything.start(name, logs));
            }
            List<Server> servers = new ArrayList<>();
            fixture.backends.values().forEach(b -> servers.add(Server.of(b.name(), b.url(), b.name() + "_")));
            BrokerConfigFile config = new BrokerConfigFile(ItEnvironment.workDir(testClass).resolve("standalone.yaml"));
            config.writeInPlace(BrokerConfigFile.yaml("always", servers));
            fixture.broker = BrokerProcess.start("broker", config.path(), Map.of(), logs);
            // Ready means the config is applied; backends connect asynchronously. echo is listed unconditionally
            // (unlike the sampling/elicitation/roots tools, which server-everything registers only for a session
            // whose client declared the capability), so it shows that every backend is connected.
            await("every backend's tools listed by the broker").atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> fixture.broker.client().listTools().toolNames(),
                            names -> Stream.of(backendNames).allMatch(n -> names.contains(n + "_echo")));
            return fixture;
        } catch (RuntimeException | AssertionError e) {
            fixture.close();
            throw e;
        }
    }

    ServerEverything backend(String name) {
        return backends.get(name);
    }

    BrokerProcess broker() {
        return broker;
    }

    /** The direct and the broker target for backend {@code name}, in that order. */
    List<Target> targets(String name) {
        return List.of(Target.direct(backend(name)), Target.broker(broker, backend(name)));
    }

    /** A plain client (no capabilities) of the broker, for readiness checks. */
    McpClientCli brokerClient() {
        return broker.client();
    }

    @Override
    public void close() {
        List<AutoCloseable> all = new ArrayList<>();
        all.add(broker);
        all.addAll(backends.values());
        for (AutoCloseable c : all) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // each close already escalates to a forced kill
                }
            }
        }
    }
}
