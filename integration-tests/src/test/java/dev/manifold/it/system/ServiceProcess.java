package dev.manifold.it.system;

import static org.awaitility.Awaitility.await;

import dev.manifold.it.support.ItEnvironment;
import dev.manifold.it.support.ManagedProcess;
import dev.manifold.it.support.PrometheusText;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One packaged Manifold service (controller, broker or proxy-runner) as a child process, started the documented way
 * ({@code java -D... -jar <module>/target/quarkus-app/quarkus-run.jar}) on a fixed loopback port that survives
 * {@link #restart()}, so whatever points at it (a broker at its proxy-runner) finds it again. Its log is
 * {@code <logDir>/<name>.log}; a restart appends to it.
 */
public final class ServiceProcess implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private final String name;
    private final Path jar;
    private final int port;
    private final Map<String, String> properties;
    private final Path logDir;
    private volatile ManagedProcess process;

    ServiceProcess(String name, Path jar, Map<String, String> properties, Path logDir) {
        this.name = name;
        this.jar = jar;
        this.port = ItEnvironment.freePort();
        this.properties = new LinkedHashMap<>(properties);
        this.logDir = logDir;
    }

    /** Launches the process without waiting (several services start in parallel; see {@link #awaitReady()}). */
    ServiceProcess launch() {
        List<String> command = new ArrayList<>(List.of(ItEnvironment.javaExecutable().toString(), "-Xmx256m",
                "-XX:TieredStopAtLevel=1", "-Dquarkus.http.port=" + port, "-Dquarkus.http.host=127.0.0.1"));
        properties.forEach((k, v) -> command.add("-D" + k + "=" + v));
        command.add("-jar");
        command.add(jar.toString());
        process = ManagedProcess.start(name, command, jar.getParent(), Map.of(), logDir);
        return this;
    }

    /** Waits until /q/health/ready answers 200; fails fast with the log's tail when the process exits. */
    ServiceProcess awaitReady() {
        await(name + " ready on " + port).atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250))
                .until(() -> {
                    process.assertAlive();
                    return ready();
                });
        return this;
    }

    public String name() {
        return name;
    }

    public int port() {
        return port;
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    /** The broker's client-facing MCP endpoint. */
    public String mcpUrl() {
        return baseUrl() + "/mcp";
    }

    public boolean ready() {
        try {
            return get("/q/health/ready").statusCode() == 200;
        } catch (IllegalStateException notListening) {
            return false;
        }
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** A scrape of /q/metrics. */
    public PrometheusText metrics() {
        HttpResponse<String> response = get("/q/metrics");
        if (response.statusCode() != 200) {
            throw new AssertionError(name + " /q/metrics answered " + response.statusCode());
        }
        return PrometheusText.parse(response.body());
    }

    /** The sum of a metric over the samples whose labels include {@code labels}; 0 when there is none. */
    public double metric(String metric, Map<String, String> labels) {
        return metrics().sum(metric, labels);
    }

    public double metric(String metric) {
        return metric(metric, Map.of());
    }

    public HttpResponse<String> get(String path) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl() + path)).timeout(Duration.ofSeconds(10))
                .header("Accept", "text/plain, application/json").GET().build();
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(name + ": GET " + path + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** SIGKILL: no shutdown hooks, nothing flushed or handed over. */
    public void kill9() {
        process.kill();
    }

    /** Starts the process again on the same port and with the same settings, and waits until it is ready. */
    public void restart() {
        if (process.isAlive()) {
            process.close();
        }
        launch().awaitReady();
    }

    ManagedProcess process() {
        return process;
    }

    @Override
    public void close() {
        if (process != null) {
            process.close();
        }
    }
}
