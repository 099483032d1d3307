package dev.manifold.it.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * On a failed test, prints where the test class's process logs are (target/it-logs/&lt;class&gt;) and the last lines of
 * each, so a CI failure can be diagnosed from the build output alone. Reads the logs; never changes them.
 */
public final class ProcessLogsOnFailure implements TestWatcher {

    private static final int TAIL_LINES = 25;

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        Path dir = ItEnvironment.logDir(context.getRequiredTestClass().getSimpleName());
        StringBuilder report = new StringBuilder("\n=== " + context.getDisplayName() + " failed; process logs in "
                + dir + " ===\n");
        try (Stream<Path> logs = Files.list(dir)) {
            for (Path log : logs.filter(p -> p.toString().endsWith(".log")).sorted().toList()) {
                List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
                report.append("--- ").append(log.getFileName()).append(" (last ")
                        .append(Math.min(TAIL_LINES, lines.size())).append(" of ").append(lines.size())
                        .append(" lines)\n");
                lines.subList(Math.max(0, lines.size() - TAIL_LINES), lines.size())
                        .forEach(l -> report.append("    | ").append(l).append('\n'));
            }
        } catch (IOException e) {
            report.append("(cannot read the logs: ").append(e).append(")\n");
        }
        System.err.print(report);
    }
}
