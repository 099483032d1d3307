package dev.manifold.it.system;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.manifold.it.support.ItEnvironment;
import dev.manifold.it.support.RawMcpSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The whole system on one fake cluster: 1 controller, 2 brokers (A, B) and 2 proxy-runners (A, B), all in
 * Kubernetes mode against the mock API and the cluster's private Redis, plus the {@link Kubelet}. Both brokers reach
 * workloads through one proxy-runner Service ({@link ServiceVip}) in front of both proxy-runners, as in deploy/.
 * Brokers and proxy-runners resolve cluster DNS names through the cluster's hosts file. Reads what the services
 * expose (HTTP, metrics, Redis, the API); never reaches into a service.
 */
public final class ManifoldSystem implements AutoCloseable {

    /** Where the services run and the controller publishes its ConfigMap. */
    public static final String SYSTEM_NAMESPACE = "manifold-system";
    /** The controller's User-Agent toward the fake cluster. */
    public static final String CONTROLLER_USER_AGENT = "manifold-controller-system-it";
    /** The brokers' User-Agent toward the API server (SystemIT checks which Secrets they read). */
    public static final String BROKER_USER_AGENT = "manifold-broker-system-it";
    /** The brokers' OAuth client at token endpoints (servers with tokenExchange). */
    public static final String TOKEN_EXCHANGE_CLIENT_ID = "manifold-system-it";
    public static final String TOKEN_EXCHANGE_CLIENT_SECRET = "system-it-secret";
    public static final String REDIS_PREFIX = "manifold";
    /** The brokers' probe interval: short, so "Ready within one probe interval" is quick to observe. */
    public static final Duration PROBE_INTERVAL = Duration.ofSeconds(2);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final FakeCluster cluster;
    private final Kubelet kubelet;
    private final ServiceProcess controller;
    private final List<ServiceProcess> brokers;
    private final List<ServiceProcess> proxyRunners;
    private final ServiceVip proxyRunnerService;

    private ManifoldSystem(FakeCluster cluster, Kubelet kubelet, ServiceProcess controller,
            List<ServiceProcess> brokers, List<ServiceProcess> proxyRunners, ServiceVip proxyRunnerService) {
        this.cluster = cluster;
        this.kubelet = kubelet;
        this.controller = controller;
        this.brokers = brokers;
        this.proxyRunners = proxyRunners;
        this.proxyRunnerService = proxyRunnerService;
    }

    /** Starts the fake cluster and every service (in parallel), and returns once all of them are ready. */
    public static ManifoldSystem start(Path logDir) {
        ItEnvironment.brokerJar();
        ItEnvironment.proxyJar();
        ItEnvironment.controllerJar();
        ItEnvironment.serverEverything();
        clearLogs(logDir);
        FakeCluster cluster = FakeCluster.start(logDir);
        Kubelet kubelet = new Kubelet(cluster, logDir);
        ServiceProcess controller = new ServiceProcess("controller", ItEnvironment.controllerJar(),
                withCluster(cluster, Map.of(
                        "manifold.controller.namespace", SYSTEM_NAMESPACE,
                        "manifold.controller.redis-prefix", REDIS_PREFIX,
                        // fabric8 reads it as the client's User-Agent: the fake cluster tells the controller's
                        // requests from the others' by it (SystemIT's RBAC check).
                        "kubernetes.user.agent", CONTROLLER_USER_AGENT)), logDir);
        List<ServiceProcess> proxies = new ArrayList<>();
        for (String replica : List.of("a", "b")) {
            proxies.add(new ServiceProcess("proxy-runner-" + replica, ItEnvironment.proxyJar(),
                    withDns(cluster, withCluster(cluster, Map.of(
                            "manifold.proxy.redis-prefix", REDIS_PREFIX,
                            "manifold.proxy.config-map-namespace", SYSTEM_NAMESPACE))), logDir));
        }
        // The readiness the proxy-runner Deployment probes (deploy/, architecture decision 22).
        ServiceVip proxyRunnerService = new ServiceVip("proxy-runner", proxies.stream().map(ServiceProcess::port)
                .toList(), "/q/health/group/serving");
        List<ServiceProcess> brokers = new ArrayList<>();
        for (String replica : List.of("a", "b")) {
            brokers.add(new ServiceProcess("broker-" + replica, ItEnvironment.brokerJar(),
                    withDns(cluster, withCluster(cluster, Map.of(
                            "manifold.broker.redis-prefix", REDIS_PREFIX,
                            "manifold.broker.config-map-namespace", SYSTEM_NAMESPACE,
                            "manifold.broker.proxy-runner-url", proxyRunnerService.baseUrl(),
                            "manifold.broker.probe-interval", PROBE_INTERVAL.toSeconds() + "s",
                            "manifold.broker.token-exchange.client-id", TOKEN_EXCHANGE_CLIENT_ID,
                            "manifold.broker.token-exchange.client-secret", TOKEN_EXCHANGE_CLIENT_SECRET,
                            "manifold.broker.token-exchange.allowed-endpoints", "http://127.0.0.1:*/oauth2/token",
                            "kubernetes.user.agent", BROKER_USER_AGENT))), logDir));
        }
        ManifoldSystem system = new ManifoldSystem(cluster, kubelet, controller, brokers, proxies,
                proxyRunnerService);
        try {
            List<ServiceProcess> all = system.services();
            all.forEach(ServiceProcess::launch);
            all.forEach(ServiceProcess::awaitReady);
        } catch (RuntimeException | AssertionError e) {
            system.close();
            throw e;
        }
        return system;
    }

    static Map<String, String> withCluster(FakeCluster cluster, Map<String, String> properties) {
        Map<String, String> all = new java.util.LinkedHashMap<>(properties);
        all.put("quarkus.kubernetes-client.api-server-url", cluster.apiUrl());
        all.put("quarkus.kubernetes-client.trust-certs", "true");
        all.put("quarkus.kubernetes-client.namespace", SYSTEM_NAMESPACE);
        all.put("quarkus.redis.hosts", cluster.redis().hosts());
        // JSON console logs, as deploy/ sets them for every service in a cluster
        all.put("quarkus.log.console.json.enabled", "true");
        return all;
    }

    /** Cluster DNS through the hosts file; no JDK caching of answers, so a re-mapped name takes effect at once. */
    private static Map<String, String> withDns(FakeCluster cluster, Map<String, String> properties) {
        Map<String, String> all = new java.util.LinkedHashMap<>(properties);
        all.put("vertx.disableDnsResolver", "true");
        all.put("jdk.net.hosts.file", cluster.hostsFile().toString());
        all.put("sun.net.inetaddr.ttl", "0");
        all.put("sun.net.inetaddr.negative.ttl", "0");
        return all;
    }

    private static void clearLogs(Path logDir) {
        try (Stream<Path> files = Files.list(logDir)) {
            for (Path file : files.toList()) {
                if (Files.isRegularFile(file)) {
                    Files.delete(file);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot clear " + logDir, e);
        }
    }

    public FakeCluster cluster() {
        return cluster;
    }

    public Kubelet kubelet() {
        return kubelet;
    }

    public ServiceProcess controller() {
        return controller;
    }

    public ServiceProcess brokerA() {
        return brokers.get(0);
    }

    public ServiceProcess brokerB() {
        return brokers.get(1);
    }

    public List<ServiceProcess> brokers() {
        return brokers;
    }

    public List<ServiceProcess> proxyRunners() {
        return proxyRunners;
    }

    public List<ServiceProcess> services() {
        List<ServiceProcess> all = new ArrayList<>(proxyRunners);
        all.add(controller);
        all.addAll(brokers);
        return all;
    }

    /** The version of the GatewayConfig the controller published in Redis, or null before the first. */
    public String publishedVersion() {
        JsonNode config = cluster.publishedConfig(REDIS_PREFIX);
        return config == null ? null : config.path("version").asText(null);
    }

    /** The server ids in the published GatewayConfig. */
    public List<String> publishedServers() {
        JsonNode config = cluster.publishedConfig(REDIS_PREFIX);
        List<String> ids = new ArrayList<>();
        if (config != null) {
            config.path("servers").forEach(s -> ids.add(s.path("id").asText()));
        }
        return ids;
    }

    /** The config version a broker says (readiness data) it has applied, or null. */
    public static String appliedVersion(ServiceProcess broker) {
        try {
            JsonNode health = JSON.readTree(broker.get("/q/health/ready").body());
            for (JsonNode check : health.path("checks")) {
                if (check.path("data").has("version")) {
                    return check.path("data").path("version").asText();
                }
            }
            return null;
        } catch (IOException | IllegalStateException e) {
            return null;
        }
    }

    /**
     * The tool names a client sees at {@code broker} right now: one raw MCP session (initialize, every tools/list
     * page, DELETE), cheap enough to poll.
     */
    public static TreeSet<String> tools(ServiceProcess broker) {
        RawMcpSession session = RawMcpSession.initialize(broker.mcpUrl());
        try {
            TreeSet<String> names = new TreeSet<>();
            String cursor = null;
            do {
                RawMcpSession.Reply page = session.request(broker.mcpUrl(), "tools/list",
                        cursor == null ? "{}" : JSON.createObjectNode().put("cursor", cursor).toString());
                if (!page.body().has("result")) {
                    throw new AssertionError(broker.name() + " tools/list failed: " + page.body());
                }
                page.result().path("tools").forEach(t -> names.add(t.path("name").asText()));
                cursor = page.result().path("nextCursor").asText(null);
            } while (cursor != null);
            return names;
        } finally {
            session.delete(broker.mcpUrl());
        }
    }

    /** The Redis health record the brokers keep for one server ({@code <prefix>:health:<ns>/<name>}), or "". */
    public String health(String serverId) {
        return cluster.redis().cli("GET", REDIS_PREFIX + ":health:" + serverId);
    }

    /**
     * The proxy-runners' session records ({@code <prefix>:proxy:session:<sid>}): session id → the pod it is pinned
     * to. They are the proxy-runners' published state; every replica reads the same.
     */
    public Map<String, String> proxySessionPods() {
        String keyPrefix = REDIS_PREFIX + ":proxy:session:";
        List<String> keys = cluster.redis().cli("--scan", "--pattern", keyPrefix + "*").lines()
                .filter(k -> k.startsWith(keyPrefix)).toList();
        Map<String, String> pods = new java.util.TreeMap<>();
        for (String key : keys) {
            String json = cluster.redis().cli("GET", key);
            try {
                if (!json.isBlank()) {
                    pods.put(key.substring(keyPrefix.length()), JSON.readTree(json).path("pod").asText());
                }
            } catch (IOException e) {
                throw new AssertionError("not a session record in " + key + ": " + json, e);
            }
        }
        return pods;
    }

    /**
     * Deletes every MCPServer and waits until the system is empty again: an empty config published, applied by every
     * live broker, no tool listed, no workload pod running.
     */
    public void reset() {
        cluster.mcpServers().forEach(s -> cluster.deleteMcpServer(s.getMetadata().getNamespace(),
                s.getMetadata().getName()));
        await("an empty system").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() ->
                cluster.mcpServers().isEmpty() && publishedServers().isEmpty() && kubelet.runningPods() == 0
                        && brokers.stream().filter(ServiceProcess::isAlive).allMatch(b ->
                        publishedVersion().equals(appliedVersion(b)) && tools(b).isEmpty()));
    }

    @Override
    public void close() {
        services().parallelStream().forEach(ServiceProcess::close);
        proxyRunnerService.close();
        kubelet.close();
        cluster.close();
    }
}
