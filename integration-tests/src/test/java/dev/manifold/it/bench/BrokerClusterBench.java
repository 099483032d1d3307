package dev.manifold.it.bench;

import dev.manifold.runtime.testing.FixtureMcpServer;
import dev.manifold.contracts.GatewayConfig;
import dev.manifold.contracts.GatewayConfigCodec;
import dev.manifold.contracts.PrefixMode;
import dev.manifold.contracts.RedisNames;
import dev.manifold.contracts.ServerEntry;
import dev.manifold.it.support.BrokerConfigFile;
import dev.manifold.it.support.BrokerProcess;
import dev.manifold.it.support.ItEnvironment;
import dev.manifold.it.support.PrometheusText;
import dev.manifold.it.support.RawMcpSession;
import dev.manifold.it.support.RedisCli;
import io.vertx.core.Vertx;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;

/**
 * Issue 4's benchmark, a command that prints a table (not a test): (1) time for the packaged broker to bring 159
 * configured backends (106 real, 53 unreachable) to a final state, and (2) propagation latency from
 * {@code PUBLISH config-changed} to the change being visible to a client, over 100 changes. Loopback only; bounded.
 * Run with bench/broker-cluster/run.sh.
 */
public final class BrokerClusterBench {

    public static void main(String[] args) throws Exception {
        int changes = Integer.getInteger("bench.changes", 100);
        Vertx vertx = Vertx.vertx();
        Path logs = ItEnvironment.logDir("BrokerClusterBench");
        List<String> tools = IntStream.range(0, 12).mapToObj(i -> "tool_" + i).toList();
        List<FixtureMcpServer> fixtures = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            fixtures.add(new FixtureMcpServer(vertx, "fixture-" + i, tools, i % 2 == 1).start());
        }
        try {
            long[] start = startup(fixtures, logs);
            double[] propagation = propagation(fixtures, logs, changes);
            Arrays.sort(propagation);
            System.out.println();
            System.out.println("| broker-cluster benchmark (loopback, packaged broker)          | value      | reference |");
            System.out.println("|---------------------------------------------------------------|------------|-----------|");
            System.out.printf("| 159 backends: broker launch -> config applied (ms)             | %10d |           |%n", start[0]);
            System.out.printf("| 159 backends: config applied -> all in a final state (ms)      | %10d | MCPProxy: 2-3 min expected, never observed |%n", start[1]);
            System.out.printf("| 159 backends: ready / unhealthy+quarantined                    | %5d/%-4d |           |%n", start[2], start[3]);
            System.out.printf("| PUBLISH -> visible to a client, p50 over %3d changes (ms)      | %10.1f | Kuadrant #1080: ~60 s via mounted Secret |%n", changes, percentile(propagation, 50));
            System.out.printf("| PUBLISH -> visible to a client, p99 over %3d changes (ms)      | %10.1f |           |%n", changes, percentile(propagation, 99));
            System.out.printf("| PUBLISH -> visible to a client, max (ms)                       | %10.1f |           |%n", propagation[propagation.length - 1]);
        } finally {
            fixtures.forEach(FixtureMcpServer::close);
            vertx.close();
        }
    }

    private static long[] startup(List<FixtureMcpServer> fixtures, Path logs) throws Exception {
        List<BrokerConfigFile.Server> servers = new ArrayList<>();
        for (int i = 0; i < 106; i++) {
            servers.add(BrokerConfigFile.Server.of(String.format("real-%03d", i), fixtures.get(i % fixtures.size()).url(), String.format("r%03d_", i)));
        }
        for (int i = 0; i < 53; i++) {
            servers.add(BrokerConfigFile.Server.of(String.format("gone-%03d", i), "http://127.0.0.1:" + ItEnvironment.freePort() + "/mcp", String.format("g%03d_", i)));
        }
        BrokerConfigFile file = new BrokerConfigFile(ItEnvironment.workDir("BrokerClusterBench").resolve("159.yaml"));
        file.writeInPlace(BrokerConfigFile.yaml("always", servers));
        long launched = System.nanoTime();
        try (BrokerProcess broker = BrokerProcess.start("broker-159", file.path(), Map.of(), logs)) {
            long applied = System.nanoTime();
            long deadline = applied + 60_000_000_000L;
            while (System.nanoTime() < deadline) {
                PrometheusText m = broker.metrics();
                double pending = m.require("manifold_broker_backends", Map.of("state", "pending"));
                double ready = m.require("manifold_broker_backends", Map.of("state", "ready"));
                double down = m.require("manifold_broker_backends", Map.of("state", "unhealthy"))
                        + m.require("manifold_broker_backends", Map.of("state", "quarantined"));
                if (pending == 0 && ready + down == 159 && ready == 106) {
                    long done = System.nanoTime();
                    return new long[] {(applied - launched) / 1_000_000, (done - applied) / 1_000_000, (long) ready, (long) down};
                }
                Thread.sleep(20); // polling cadence of the measurement, not a wait for a race
            }
            throw new IllegalStateException("159 backends did not reach a final state within 60 s");
        }
    }

    private static double[] propagation(List<FixtureMcpServer> fixtures, Path logs, int changes) throws Exception {
        String prefix = "mf-bench-" + UUID.randomUUID();
        RedisNames names = new RedisNames(prefix);
        ServerEntry base = new ServerEntry("bench/base", "base_", fixtures.get(0).url(), true, null, null, null, null);
        publish(names, List.of(base), false);
        double[] latencies = new double[changes];
        try (BrokerProcess broker = BrokerProcess.startKubernetesMode("broker-propagation", prefix, Map.of(), logs)) {
            RawMcpSession client = RawMcpSession.initialize(broker.mcpUrl());
            waitFor(broker, client, "base_tool_0");
            for (int i = 0; i < changes; i++) {
                String tool = "c" + i + "_tool_0";
                ServerEntry change = new ServerEntry("bench/change-" + i, "c" + i + "_", fixtures.get(1 + i % 3).url(), true, null, null, null, null);
                long published = publish(names, List.of(base, change), true);
                waitFor(broker, client, tool);
                latencies[i] = (System.nanoTime() - published) / 1_000_000.0;
            }
        } finally {
            RedisCli.deletePrefix(prefix);
        }
        return latencies;
    }

    /** SET the canonical config, then PUBLISH its version; returns the time of the PUBLISH. */
    private static long publish(RedisNames names, List<ServerEntry> servers, boolean announce) {
        GatewayConfig config = GatewayConfigCodec.build(PrefixMode.ALWAYS, servers);
        RedisCli.run("SET", names.configKey(), new String(GatewayConfigCodec.toJson(config), StandardCharsets.UTF_8));
        long at = System.nanoTime();
        if (announce) {
            RedisCli.run("PUBLISH", names.configChangedChannel(), config.version());
        }
        return at;
    }

    private static void waitFor(BrokerProcess broker, RawMcpSession client, String tool) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            RawMcpSession.Reply reply = client.request(broker.mcpUrl(), "tools/list", "{}");
            for (var t : reply.result().path("tools")) {
                if (tool.equals(t.path("name").asText())) {
                    return;
                }
            }
            Thread.sleep(2); // polling cadence of the measurement
        }
        throw new IllegalStateException(tool + " never became visible");
    }

    private static double percentile(double[] sorted, int p) {
        int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }
}
