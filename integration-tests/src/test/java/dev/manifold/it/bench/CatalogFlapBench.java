package dev.manifold.it.bench;

import dev.manifold.runtime.testing.FixtureMcpServer;
import dev.manifold.it.support.BrokerConfigFile;
import dev.manifold.it.support.BrokerProcess;
import dev.manifold.it.support.ItEnvironment;
import dev.manifold.it.support.RawMcpSession;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Issue 14's scale benchmark, a command that prints a table (not a test): the packaged broker with 1,000 backends
 * of 20 tools each (20,000 tools), one of which keeps changing its tool list (a {@code list_changed} on its GET
 * stream, so the broker re-lists that one backend). Prints the broker's CPU per change (from
 * {@code /proc/<pid>/stat}, less the CPU of an equally long quiet window) and the time from the change until a
 * client can call the new tool. Loopback only; bounded. Run with bench/broker-scale/run.sh.
 */
public final class CatalogFlapBench {
    private static final long CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux x86_64

    public static void main(String[] args) throws Exception {
        int backends = Integer.getInteger("bench.backends", 1000);
        int toolsPer = Integer.getInteger("bench.tools", 20);
        int flaps = Integer.getInteger("bench.flaps", 40);
        Vertx vertx = Vertx.vertx();
        Path logs = ItEnvironment.logDir("CatalogFlapBench");
        List<String> tools = IntStream.range(0, toolsPer).mapToObj(i -> String.format("t%02d", i)).toList();
        List<FixtureMcpServer> shared = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            shared.add(new FixtureMcpServer(vertx, "shared-" + i, tools, false).start());
        }
        FixtureMcpServer flapper = new FixtureMcpServer(vertx, "flapper", tools, false).start();
        List<BrokerConfigFile.Server> servers = new ArrayList<>();
        for (int i = 0; i < backends - 1; i++) {
            servers.add(BrokerConfigFile.Server.of(String.format("b%04d", i), shared.get(i % shared.size()).url(),
                    String.format("b%04d_", i)));
        }
        servers.add(BrokerConfigFile.Server.of("flapper", flapper.url(), "flap_"));
        BrokerConfigFile file = new BrokerConfigFile(ItEnvironment.workDir("CatalogFlapBench").resolve("servers.yaml"));
        file.writeInPlace(BrokerConfigFile.yaml("always", servers));
        // Probes every 10 minutes: the window measures the changes, not 1,000 backends' pings.
        try (BrokerProcess broker = BrokerProcess.start("broker-scale", file.path(),
                Map.of("manifold.broker.probe-interval", "10m", "manifold.broker.backoff-max", "2s",
                        "manifold.broker.connect-timeout", "30s",
                        "manifold.broker.readiness-discovery-wait", "120s"), logs)) {
            long total = (long) backends * toolsPer;
            long started = System.nanoTime();
            long deadline = started + Long.getLong("bench.startup-seconds", 300) * 1_000_000_000L;
            double served = 0;
            while (served < total) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("after " + (System.nanoTime() - started) / 1_000_000_000 + " s the broker serves "
                            + served + " tools, not " + total);
                }
                try {
                    served = broker.metrics().require("manifold_broker_tools", Map.of());
                } catch (RuntimeException busy) {
                    System.out.println("metrics did not answer: " + busy.getMessage()); // a busy broker: keep waiting
                }
                Thread.sleep(200);
            }
            long startupMs = (System.nanoTime() - started) / 1_000_000;
            long pid = broker.process().pid();
            RawMcpSession client = RawMcpSession.initialize(broker.mcpUrl());

            // 1. Latency: change -> the new tool is callable by a client.
            double[] latencies = new double[flaps];
            for (int i = 0; i < flaps; i++) {
                String fresh = "new_" + i;
                List<String> next = new ArrayList<>(tools.subList(0, toolsPer - 1));
                next.add(fresh);
                long start = System.nanoTime();
                flapper.changeTools(next);
                while (!client.call(broker.mcpUrl(), "flap_" + fresh, "{\"message\":\"x\"}").ok()) {
                    if (System.nanoTime() - start > 30_000_000_000L) {
                        throw new IllegalStateException("flap_" + fresh + " never became callable");
                    }
                }
                latencies[i] = (System.nanoTime() - start) / 1e6;
            }

            // 2. CPU: the same number of changes, 250 ms apart, against a quiet window of the same length.
            long gap = 250;
            double quiet = cpuMillis(pid);
            Thread.sleep(gap * flaps);
            quiet = cpuMillis(pid) - quiet;
            double busy = cpuMillis(pid);
            for (int i = 0; i < flaps; i++) {
                List<String> next = new ArrayList<>(tools.subList(0, toolsPer - 1));
                next.add("cpu_" + i);
                flapper.changeTools(next);
                Thread.sleep(gap);
            }
            busy = cpuMillis(pid) - busy;
            int servedAtEnd = (int) broker.metrics().require("manifold_broker_tools", Map.of());

            Arrays.sort(latencies);
            System.out.println();
            System.out.printf("| broker scale benchmark: %d backends x %d tools, one backend changing | value |%n", backends, toolsPer);
            System.out.println("|---------------------------------------------------------------------|-------|");
            System.out.printf("| broker ready -> all %d tools served (ms)                         | %d |%n", total, startupMs);
            System.out.printf("| tools served at the end                                             | %d |%n", servedAtEnd);
            System.out.printf("| broker CPU per change (ms), %d changes, less a quiet window          | %.2f |%n", flaps, (busy - quiet) / flaps);
            System.out.printf("| broker CPU in the quiet window of %d ms (ms)                       | %.0f |%n", gap * flaps, quiet);
            System.out.printf("| change -> callable by a client, p50 (ms)                            | %.1f |%n", percentile(latencies, 50));
            System.out.printf("| change -> callable by a client, p99 (ms)                            | %.1f |%n", percentile(latencies, 99));
            System.out.printf("| change -> callable by a client, max (ms)                            | %.1f |%n", latencies[latencies.length - 1]);
        } finally {
            shared.forEach(FixtureMcpServer::close);
            flapper.close();
            vertx.close();
        }
    }

    /** utime + stime of a process, in milliseconds, from /proc/<pid>/stat. */
    static double cpuMillis(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // fields 14 and 15 of the whole line
        return ticks * 1000.0 / CLOCK_TICKS_PER_SECOND;
    }

    static double percentile(double[] sorted, int p) {
        int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }
}
