package dev.manifold.it.system;

import static org.awaitility.Awaitility.await;

import dev.manifold.it.support.ItEnvironment;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

/**
 * {@code scripts/system.sh}: the whole system on a laptop, no cluster. Starts the fake cluster and every service
 * ({@link ManifoldSystem}), applies the YAML in {@code examples/cluster/} (or the directory given as the first
 * argument), plays the pods behind each plain Service there (a server-everything on the Service's port), waits until
 * every MCPServer is Ready and prints {@code broker: <url>}. Runs until interrupted; then stops everything it started.
 */
public final class SystemMain {

    private SystemMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        Path examples = args.length > 0 ? Path.of(args[0]) : ItEnvironment.repoRoot().resolve("examples/cluster");
        Path logDir = ItEnvironment.logDir("system");
        System.out.println("starting the fake cluster and the services; logs in " + logDir);
        ManifoldSystem system = ManifoldSystem.start(logDir);
        List<PodProcess> serviceBackends = new ArrayList<>();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            serviceBackends.forEach(PodProcess::close);
            system.close();
            stopped.countDown();
        }, "system-stop"));

        List<GenericKubernetesResource> resources = read(system.cluster(), examples);
        // Plain Services first (with a process behind each), then routes, then MCPServers: the order kubectl sorts by.
        resources.sort(Comparator.comparingInt(r -> switch (r.getKind()) {
            case "Service" -> 0;
            case "MCPServer" -> 2;
            default -> 1;
        }));
        for (GenericKubernetesResource resource : resources) {
            if ("Service".equals(resource.getKind())) {
                serviceBackends.add(runBehind(system.cluster(), resource, logDir));
            }
            system.cluster().create(resource);
            System.out.println("applied " + resource.getKind() + " " + resource.getMetadata().getNamespace() + "/"
                    + resource.getMetadata().getName());
        }
        // The credentialRef example names a real remote server and a Secret (not on a laptop): applied, not awaited.
        List<GenericKubernetesResource> servers = resources.stream().filter(r -> "MCPServer".equals(r.getKind()))
                .filter(r -> {
                    Object spec = r.getAdditionalProperties().get("spec");
                    boolean remote = spec instanceof Map<?, ?> m && m.containsKey("credentialRef");
                    if (remote) {
                        System.out.println("not waiting for " + r.getMetadata().getName()
                                + ": it needs a real remote server and its Secret");
                    }
                    return !remote;
                })
                .toList();
        await("every MCPServer Ready").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500))
                .until(() -> servers.stream().allMatch(s -> system.cluster().conditionTrue(
                        s.getMetadata().getNamespace(), s.getMetadata().getName(), "Ready")));
        System.out.println("tools at broker A: " + ManifoldSystem.tools(system.brokerA()).size());
        System.out.println("kubernetes API (mock): " + system.cluster().apiUrl());
        System.out.println("broker-b: " + system.brokerB().mcpUrl());
        System.out.println("broker: " + system.brokerA().mcpUrl());
        System.out.flush();
        stopped.await();
    }

    private static List<GenericKubernetesResource> read(FakeCluster cluster, Path dir) {
        List<GenericKubernetesResource> resources = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                for (String document : Files.readString(file).split("(?m)^---\\s*$")) {
                    if (document.lines().anyMatch(l -> l.startsWith("kind:"))) {
                        resources.add(cluster.client().getKubernetesSerialization()
                                .unmarshal(document, GenericKubernetesResource.class));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dir, e);
        }
        return resources;
    }

    /** A server-everything as the endpoint of a plain Service, at its cluster DNS name and first port. */
    @SuppressWarnings("unchecked")
    private static PodProcess runBehind(FakeCluster cluster, GenericKubernetesResource service, Path logDir) {
        Map<String, Object> spec = (Map<String, Object>) service.getAdditionalProperties().get("spec");
        int port = ((Number) ((List<Map<String, Object>>) spec.get("ports")).get(0).get("port")).intValue();
        String namespace = service.getMetadata().getNamespace();
        String address = cluster.allocateAddress();
        PodProcess backend = PodProcess.start(service.getMetadata().getName(), address, port, Map.of(), logDir);
        cluster.hosts().map(service.getMetadata().getName() + "." + namespace + ".svc.cluster.local", address);
        return backend;
    }
}
