package dev.manifold.it.support;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The packaged broker (broker-service/target/quarkus-app/quarkus-run.jar) in standalone mode, started the documented
 * way: {@code java -Dmanifold.broker.config-file=<file> -Dquarkus.http.port=<port> -jar quarkus-run.jar}, on a free
 * loopback port. {@link #start} returns once /q/health/ready is UP (the first config is applied).
 */
public final class BrokerProcess implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final int port;
    private final ManagedProcess process;

    private BrokerProcess(int port, ManagedProcess process) {
        this.port = port;
        this.process = process;
    }

    /** Starts the broker on {@code configFile} with extra {@code -D} system properties, and waits until ready. */
    public static BrokerProcess start(String name, Path configFile, Map<String, String> systemProperties,
            Path logDir) {
        return launch(name, ItEnvironment.freePort(), standalone(configFile, systemProperties), logDir, true);
    }

    /**
     * Starts the broker on {@code configFile} and returns once its HTTP port answers, ready or not (for tests of
     * readiness itself).
     */
    public static BrokerProcess startListening(String name, Path configFile, Map<String, String> systemProperties,
            Path logDir) {
        return launch(name, ItEnvironment.freePort(), standalone(configFile, systemProperties), logDir, false);
    }

    /** Standalone mode's system properties: the config file, then the caller's. */
    private static Map<String, String> standalone(Path configFile, Map<String, String> systemProperties) {
        Map<String, String> properties = new java.util.LinkedHashMap<>();
        properties.put("manifold.broker.config-file", configFile.toAbsolutePath().toString());
        properties.putAll(systemProperties);
        return properties;
    }

    /**
     * Starts the broker in Kubernetes mode (no config file: config from Redis under {@code redisPrefix}) and waits
     * until it has applied a config. There is no cluster: the ConfigMap fallback points at a closed port.
     */
    public static BrokerProcess startKubernetesMode(String name, String redisPrefix, Map<String, String> systemProperties,
            Path logDir) {
        Map<String, String> properties = new java.util.LinkedHashMap<>();
        properties.put("manifold.broker.redis-prefix", redisPrefix);
        properties.put("quarkus.kubernetes-client.api-server-url", "http://127.0.0.1:" + ItEnvironment.freePort());
        properties.put("quarkus.kubernetes-client.namespace", "manifold-it");
        properties.putAll(systemProperties);
        return launch(name, ItEnvironment.freePort(), properties, logDir, true);
    }

    private static BrokerProcess launch(String name, int port, Map<String, String> systemProperties, Path logDir,
            boolean awaitReady) {
        Path jar = ItEnvironment.brokerJar();
        List<String> command = new ArrayList<>(List.of(ItEnvironment.javaExecutable().toString(), "-Xmx256m",
                "-Dquarkus.http.port=" + port,
                "-Dquarkus.http.host=127.0.0.1"));
        systemProperties.forEach((k, v) -> command.add("-D" + k + "=" + v));
        command.add("-jar");
        command.add(jar.toString());
        ManagedProcess process = ManagedProcess.start(name, command, jar.getParent(), Map.of(), logDir);
        BrokerProcess broker = new BrokerProcess(port, process);
        try {
            await(name + (awaitReady ? " ready on " : " listening on ") + port)
                    .atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(awaitReady ? 200 : 50))
                    .until(() -> {
                        process.assertAlive();
                        return awaitReady ? broker.isReady() : broker.isListening();
                    });
        } catch (RuntimeException | AssertionError e) {
            process.close();
            throw new AssertionError(name + " did not become ready\n" + process.describe(), e);
        }
        return broker;
    }

    public int port() {
        return port;
    }

    /** Whether /q/health/live answers at all; false while the port is not open yet. */
    public boolean isListening() {
        try {
            get("/q/health/live");
            return true;
        } catch (IllegalStateException notListening) {
            return false;
        }
    }

    /** Whether /q/health/ready answers 200; false while the port is not open yet. */
    public boolean isReady() {
        try {
            return get("/q/health/ready").statusCode() == 200;
        } catch (IllegalStateException notListening) {
            return false;
        }
    }

    /** The client-facing MCP endpoint. */
    public String mcpUrl() {
        return "http://127.0.0.1:" + port + "/mcp";
    }

    public McpClientCli client() {
        return new McpClientCli(mcpUrl());
    }

    /** A scrape of /q/metrics (Prometheus text). */
    public PrometheusText metrics() {
        HttpResponse<String> response = get("/q/metrics");
        if (response.statusCode() != 200) {
            throw new AssertionError("/q/metrics answered " + response.statusCode() + ": " + response.body());
        }
        return PrometheusText.parse(response.body());
    }

    /** GET {@code path} on the broker's HTTP port. */
    public HttpResponse<String> get(String path) {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).header("Accept", "text/plain, application/json").GET().build();
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException("GET " + path + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    public ManagedProcess process() {
        return process;
    }

    @Override
    public void close() {
        process.close();
    }
}
