package dev.manifold.it.proxy;

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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
    private final Path log;
    private final List<String> command;
    private Process process;

    ProxyProcess(String name, int port, Path hostsFile, Path routesFile, String redisPrefix, String redisHosts,
                 Path logDir, Map<String, String> extraProperties) {
        this.name = name;
        this.port = port;
        this.log = logDir.resolve(name + ".log");
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
        cmd.add(ItPaths.proxyJar().toString());
        this.command = cmd;
    }

    ProxyProcess start() {
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        await("proxy-runner " + name + " ready").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException("proxy-runner " + name + " exited; see " + log);
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
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(baseUrl() + "/q/health/ready"))
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

    /** Sum of a Prometheus counter over the series whose labels contain every given fragment. */
    double metric(String name, String... labelFragments) {
        String text;
        try {
            text = HTTP.send(HttpRequest.newBuilder(URI.create(baseUrl() + "/q/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        Pattern line = Pattern.compile("^" + Pattern.quote(name) + "(\\{[^}]*})?\\s+(\\S+)$", Pattern.MULTILINE);
        Matcher m = line.matcher(text);
        double sum = 0;
        outer:
        while (m.find()) {
            String labels = m.group(1) == null ? "" : m.group(1);
            for (String fragment : labelFragments) {
                if (!labels.contains(fragment)) {
                    continue outer;
                }
            }
            sum += Double.parseDouble(m.group(2));
        }
        return sum;
    }

    /** SIGKILL: the process gets no chance to flush or hand anything over. */
    void kill9() {
        process.destroyForcibly();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
