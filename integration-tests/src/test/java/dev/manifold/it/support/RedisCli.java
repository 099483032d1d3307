package dev.manifold.it.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The machine's {@code redis-cli} against 127.0.0.1:6379 (the shared Redis; tests use their own key prefix). */
public final class RedisCli {
    private RedisCli() {
    }

    /** Runs one command; returns its output, trimmed. Values are passed as arguments, never through a shell. */
    public static String run(String... args) {
        List<String> command = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", "6379"));
        command.addAll(List.of(args));
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!process.waitFor(10, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new AssertionError("redis-cli " + args[0] + " failed: " + out);
            }
            return out;
        } catch (IOException e) {
            throw new AssertionError("redis-cli is required for this test: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** Deletes every key under a prefix. */
    public static void deletePrefix(String prefix) {
        String keys = run("--scan", "--pattern", prefix + ":*");
        for (String key : keys.split("\n")) {
            if (!key.isBlank()) {
                run("DEL", key);
            }
        }
    }
}
