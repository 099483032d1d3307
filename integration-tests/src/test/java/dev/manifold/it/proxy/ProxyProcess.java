package dev.manifold.it.proxy;

import dev.manifold.it.support.ItEnvironment;
import dev.manifold.it.support.ManagedProcess;
import dev.manifold.it.support.PrometheusText;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;

/**
 * The packaged proxy-runner started the real way ({@code java -jar quarkus-run.jar}) in standalone mode. Pod DNS
 * names resolve through a hosts file ({@code -Dvertx.disableDnsResolver=true -Djdk.net.hosts.file}), so the real
 * resolution path is exercised.
 */
final class ProxyProcess implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    final String name;
    final int port;
    private final Path logDir;
    private final List<String> command;
    private ManagedProcess process;

    ProxyProcess(String name, int port, Path hostsFile, Path routesFile, String redisPrefix, String redisHosts,
                 Path logDir, Map<String, String> extraProperties) {
        this.name = name;
        this.port = port;
        this.logDir = logDir;
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m",
                "-Dvertx.disableDnsResolver=true",
                "-Djdk.net.hosts.file=" + hostsFile,
                "-Dquarkus.http.port=" + port,
                "-Dquarkus.http.host=127.0.0.1",
                "-Dmanifold.proxy.routes-file=" + routesFile,
                "-Dmanifold.proxy.redis-prefix=" + redisPrefix,
                "-Dmanifold.proxy.session-ttl=15m",
                "-Dquarkus.redis.hosts=" + redisHosts));
        extraProperties.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.add("-jar");
        cmd.add(ItEnvironment.proxyJar().toString());
        this.command = cmd;
    }

    ProxyProcess start() {
        process = ManagedProcess.start(name, command, ItEnvironment.repoRoot(), Map.of(), logDir);
        await("proxy-runner " + name + " ready").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException("proxy-runner " + name + " exited; " + process.describe());
                    }
                    return readyStatus() == 200;
                });
        return this;
    }

    String mcpUrl() {
        return "http://127.0.0.1:" + port + "/demo/echo/mcp";
    }

    String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    int readyStatus() {
        return status("/q/health/ready");
    }

    /** The status of {@code path} (GET); -1 when the port does not answer. */
    int status(String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(baseUrl() + path))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    String readyBody() {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(baseUrl() + "/q/health/ready"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    /** Sum of a metric over the series whose labels include {@code labels}; 0 when there is none yet. */
    double metric(String name, Map<String, String> labels) {
        try {
            String text = HTTP.send(HttpRequest.newBuilder(URI.create(baseUrl() + "/q/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            return PrometheusText.parse(text).sum(name, labels);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    double metric(String name) {
        return metric(name, Map.of());
    }

    /** SIGKILL: the process gets no chance to flush or hand anything over. */
    void kill9() {
        process.kill();
    }

    @Override
    public void close() {
        if (process != null) {
            process.close();
        }
    }
}
