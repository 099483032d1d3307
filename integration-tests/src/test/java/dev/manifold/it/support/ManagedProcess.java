package dev.manifold.it.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One child process of a test (a broker, an MCP server), with stdout and stderr captured to a log file under
 * target/it-logs. It owns the process tree it started and always destroys it on {@link #close()}: gracefully first
 * (SIGTERM, so the broker can close its backend sessions), then forcibly. A JVM shutdown hook destroys every process
 * still alive, so an aborted test run leaves nothing behind. It never touches processes it did not start.
 */
public final class ManagedProcess implements AutoCloseable {

    private static final Set<ManagedProcess> LIVE = ConcurrentHashMap.newKeySet();
    private static final Duration GRACE = Duration.ofSeconds(10);

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(ManagedProcess::close),
                "manifold-it-process-reaper"));
    }

    private final String name;
    private final Process process;
    private final Path log;

    private ManagedProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    /**
     * Starts {@code command} in {@code workDir} with extra environment variables; its output goes to
     * {@code logDir/name.log}, appended to, so a process restarted under the same name keeps its predecessor's
     * output above its own.
     */
    public static ManagedProcess start(String name, List<String> command, Path workDir, Map<String, String> env,
            Path logDir) {
        Path log = logDir.resolve(name + ".log");
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(workDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().putAll(env);
        try {
            ManagedProcess started = new ManagedProcess(name, builder.start(), log);
            LIVE.add(started);
            return started;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + ": " + String.join(" ", command), e);
        }
    }

    public String name() {
        return name;
    }

    public Path log() {
        return log;
    }

    /** The operating-system process id (for /proc readings in benchmarks). */
    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The whole log so far (the processes of one test write little). */
    public String logText() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "<cannot read " + log + ": " + e + ">";
        }
    }

    /** Fails with the log's tail when the process has exited: use inside readiness waits to fail fast. */
    public void assertAlive() {
        if (!process.isAlive()) {
            throw new AssertionError(name + " exited with status " + process.exitValue() + "\n" + describe());
        }
    }

    /** Name, pid, state, log path and the last lines of the log, for failure messages. */
    public String describe() {
        String text = logText();
        String[] lines = text.split("\n");
        int from = Math.max(0, lines.length - 40);
        StringBuilder tail = new StringBuilder();
        for (int i = from; i < lines.length; i++) {
            tail.append("    | ").append(lines[i]).append('\n');
        }
        return name + " (pid " + process.pid() + ", " + (process.isAlive() ? "running" : "exited "
                + process.exitValue()) + ", log " + log + "), last lines:\n" + tail;
    }

    /** SIGKILL, no grace: the process gets no chance to clean up, as when a pod is lost. */
    public void kill() {
        LIVE.remove(this);
        List<ProcessHandle> descendants = process.descendants().toList();
        process.destroyForcibly();
        descendants.forEach(ProcessHandle::destroyForcibly);
        try {
            process.waitFor(GRACE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        LIVE.remove(this);
        List<ProcessHandle> descendants = process.descendants().toList();
        process.destroy();
        descendants.forEach(ProcessHandle::destroy);
        try {
            if (!process.waitFor(GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(GRACE.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        descendants.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    }
}
