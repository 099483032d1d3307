package dev.manifold.it.system;

import static org.awaitility.Awaitility.await;

import dev.manifold.it.support.ItEnvironment;
import dev.manifold.it.support.ServerEverything;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Propagation from {@code kubectl apply} to clients: how long after an MCPServer is created its tools are listed
 * at both brokers. {@link #main} is the benchmark (not a test): it starts the system, creates and deletes one
 * server {@code manifold.system.bench.runs} times (default 50) and prints p50/p99/max. Run it with
 * {@code scripts/system.sh --bench}.
 */
public final class PropagationBench {

    private static final int WARM_UP = 3;

    private PropagationBench() {
    }

    /**
     * Creates a URL MCPServer {@code name} (prefix {@code prefix}) and returns how long until a client lists its
     * {@code <prefix>echo} at both brokers (raw MCP sessions, polled every 20 ms).
     */
    static Duration createAndAwaitAtBothBrokers(ManifoldSystem system, String name, String prefix, String url) {
        long start = System.nanoTime();
        system.cluster().create(FakeCluster.urlServer("mcp", name, prefix, url));
        List<ServiceProcess> pending = new ArrayList<>(system.brokers());
        await(prefix + "echo listed at both brokers").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
                .until(() -> {
                    pending.removeIf(b -> ManifoldSystem.tools(b).contains(prefix + "echo"));
                    return pending.isEmpty();
                });
        return Duration.ofNanos(System.nanoTime() - start);
    }

    public static void main(String[] args) {
        int runs = Integer.getInteger("manifold.system.bench.runs", 50);
        try (ManifoldSystem system = ManifoldSystem.start(ItEnvironment.logDir("PropagationBench"));
             ServerEverything backend = ServerEverything.start("bench-backend", ItEnvironment.logDir("PropagationBench"))) {
            // Warm-up creations (JIT, connection pools) are not counted.
            for (int i = 0; i < WARM_UP; i++) {
                createAndAwaitAtBothBrokers(system, "warmup-" + i, "warmup" + i + "_", backend.url());
                system.reset();
            }
            List<Long> millis = new ArrayList<>();
            for (int i = 0; i < runs; i++) {
                millis.add(createAndAwaitAtBothBrokers(system, "bench-" + i, "bench" + i + "_", backend.url()).toMillis());
                system.reset();
            }
            List<Long> sorted = millis.stream().sorted().toList();
            System.out.printf("%nPropagation: MCPServer created -> its tool listed at both brokers (%d creations, %d"
                    + " warm-up)%n", runs, WARM_UP);
            System.out.printf("| %-7s | %-7s | %-7s | %-7s | %-7s |%n", "p50", "p90", "p99", "min", "max");
            System.out.printf("| %4d ms | %4d ms | %4d ms | %4d ms | %4d ms |%n", percentile(sorted, 50),
                    percentile(sorted, 90), percentile(sorted, 99), sorted.get(0), sorted.get(sorted.size() - 1));
            System.out.println("every run, in order (ms): " + millis);
        }
        System.exit(0);
    }

    private static long percentile(List<Long> sorted, int p) {
        int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }
}
