package dev.manifold.it.proxy;

import dev.manifold.it.support.ItEnvironment;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The processes of one proxy IT: N server-everything "pods" of {@code demo/echo}, each on 127.0.0.(2+i) and a
 * shared port, the hosts file that maps their pod DNS names, the routes file, and any proxy-runners. Every run
 * uses its own Redis key prefix and deletes its keys afterwards (the shared Redis is never flushed).
 */
final class Fleet implements AutoCloseable {

    final List<BackendPod> pods = new ArrayList<>();
    final List<ProxyProcess> proxies = new ArrayList<>();
    final String redisPrefix = "it-proxy-" + UUID.randomUUID().toString().substring(0, 8);
    final Path logDir;
    final Path hostsFile;
    final Path routesFile;
    private String redisHosts = "redis://127.0.0.1:6379";
    private int redisPort = 6379;

    Fleet(String testName, int podCount) {
        ItPaths.serverEverything();
        ItEnvironment.proxyJar();
        // A fresh directory per run: pod logs are evidence (sessions each pod initialized), never mixed across runs.
        logDir = ItPaths.logDir(testName + "/" + redisPrefix);
        int port = ItEnvironment.freePort();
        StringBuilder hosts = new StringBuilder();
        StringBuilder routes = new StringBuilder("routes:\n  - server: demo/echo\n    pods:\n");
        for (int i = 0; i < podCount; i++) {
            BackendPod pod = new BackendPod("echo-" + i, "127.0.0." + (2 + i), port, logDir);
            pods.add(pod);
            hosts.append(pod.address).append(' ').append(pod.dnsName()).append('\n');
            routes.append("      - { name: ").append(pod.name).append(", url: \"http://").append(pod.dnsName())
                    .append(':').append(port).append("/mcp\" }\n");
        }
        try {
            hostsFile = logDir.resolve("hosts");
            routesFile = logDir.resolve("routes.yaml");
            Files.writeString(hostsFile, hosts);
            Files.writeString(routesFile, routes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        pods.parallelStream().forEach(BackendPod::start);
    }

    /** Uses a private Redis instead of the shared one. */
    Fleet redisPort(int port) {
        this.redisPort = port;
        this.redisHosts = "redis://127.0.0.1:" + port;
        return this;
    }

    ProxyProcess startProxy(String name) {
        return startProxy(name, ItEnvironment.freePort(), Map.of());
    }

    ProxyProcess startProxy(String name, int port, Map<String, String> properties) {
        ProxyProcess proxy = new ProxyProcess(name, port, hostsFile, routesFile, redisPrefix, redisHosts, logDir,
                properties).start();
        proxies.add(proxy);
        return proxy;
    }

    BackendPod pod(String name) {
        return pods.stream().filter(p -> p.name.equals(name)).findFirst().orElseThrow();
    }

    @Override
    public void close() {
        proxies.forEach(ProxyProcess::close);
        pods.forEach(BackendPod::close);
        deleteKeys();
    }

    private void deleteKeys() {
        try {
            Process scan = new ProcessBuilder("redis-cli", "-p", Integer.toString(redisPort), "--scan", "--pattern",
                    redisPrefix + ":*").redirectErrorStream(true).start();
            List<String> keys = new String(scan.getInputStream().readAllBytes()).lines()
                    .filter(k -> k.startsWith(redisPrefix + ":")).toList();
            scan.waitFor();
            for (int i = 0; i < keys.size(); i += 200) {
                List<String> cmd = new ArrayList<>(List.of("redis-cli", "-p", Integer.toString(redisPort), "DEL"));
                cmd.addAll(keys.subList(i, Math.min(keys.size(), i + 200)));
                new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .start().waitFor();
            }
        } catch (IOException e) {
            // Redis may be the private one that a test stopped; its keys die with it.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
