package dev.manifold.broker.session;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Benchmark (not a test): the time of one config apply that removes most servers while many client sessions hold
 * backend sessions with them. Each removed server must release the client sessions that hold it; this measures what
 * that costs the apply, which holds the config lock meanwhile. Offline ({@link OfflineBroker}): no HTTP, so the time
 * is the broker's own bookkeeping. Prints one table row per session count.
 * <p>
 * Arguments: {@code servers keep sessions[,sessions...] held}, default {@code 2000 3 10000,100000 3}. See the
 * module README (Benchmarks) for the command.
 */
public final class BackendRemovalBench {
    private BackendRemovalBench() {
    }

    public static void main(String[] args) {
        int servers = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        int keep = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        String counts = args.length > 2 ? args[2] : "10000,100000";
        int held = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        // Each apply logs every removed id; only the table matters here.
        java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.WARNING);
        System.out.printf("%-16s %10s %16s %18s %12s %12s%n", "servers", "sessions", "backend sessions",
                "released (DELETE)", "apply ms", "apply cpu ms");
        for (String count : counts.split(",")) {
            run(servers, keep, Integer.parseInt(count.trim()), held);
        }
        System.exit(0); // Mutiny's worker threads would keep the JVM alive
    }

    private static void run(int servers, int keep, int sessionCount, int held) {
        List<String> all = new ArrayList<>();
        for (int i = 0; i < servers; i++) {
            all.add(String.format(Locale.ROOT, "server-%05d", i));
        }
        Map<String, String> settings = Map.of("max-sessions", String.valueOf(Math.max(100_000, sessionCount)));
        try (OfflineBroker broker = new OfflineBroker(settings)) {
            broker.apply(all);
            SplittableRandom random = new SplittableRandom(42);
            int backendSessions = 0;
            for (int s = 0; s < sessionCount; s++) {
                ClientSession session = broker.session();
                for (int h = 0; h < held; h++) {
                    broker.use(session, all.get(random.nextInt(servers)));
                }
                backendSessions += session.openBackends.size();
            }
            System.gc();
            // The apply runs on this thread; its CPU time is what a busy machine does not inflate.
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            long cpuStart = threads.getCurrentThreadCpuTime();
            long start = System.nanoTime();
            broker.apply(all.subList(0, keep));
            long millis = (System.nanoTime() - start) / 1_000_000;
            long cpuMillis = (threads.getCurrentThreadCpuTime() - cpuStart) / 1_000_000;
            System.out.printf("%-16s %10d %16d %18d %12d %12d%n", servers + " -> " + keep, sessionCount, backendSessions,
                    broker.http.deleted.size(), millis, cpuMillis);
        }
    }
}
