package dev.manifold.it.system;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.manifold.it.support.ItEnvironment;
import dev.manifold.it.support.PrivateRedis;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * One fake cluster for multi-process system tests, all in this JVM or its children: the fabric8 mock API server in
 * CRUD mode on a real port, with the MCPServer CRD from deploy/crds and a minimal Gateway API HTTPRoute CRD installed;
 * a private redis-server; the hosts file that is the cluster's DNS; loopback "pod IPs" (127.N.x.y, N random per run,
 * so parallel runs on one machine do not collide); and the garbage collector's one job the tests need (deleting the
 * objects an MCPServer owns when it goes). It runs no Manifold code and never writes MCPServer status.
 */
public final class FakeCluster implements AutoCloseable {

    public static final ResourceDefinitionContext MCP_SERVERS = new ResourceDefinitionContext.Builder()
            .withGroup("mcp.manifold.dev").withVersion("v1alpha1").withKind("MCPServer").withPlural("mcpservers")
            .withNamespaced(true).build();
    public static final ResourceDefinitionContext HTTP_ROUTES = new ResourceDefinitionContext.Builder()
            .withGroup("gateway.networking.k8s.io").withVersion("v1").withKind("HTTPRoute").withPlural("httproutes")
            .withNamespaced(true).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    private final KubernetesMockServer api;
    private final ServerSideApplyDispatcher dispatcher = new ServerSideApplyDispatcher();
    private final KubernetesClient client;
    private final PrivateRedis redis;
    private final HostsFile hosts;
    private final Path logDir;
    private final int addressBlock = ThreadLocalRandom.current().nextInt(16, 250);
    private final AtomicInteger nextAddress = new AtomicInteger(2);
    private final SharedIndexInformer<GenericKubernetesResource> garbageCollector;

    static {
        // The mock server logs every request at INFO; the services' own logs say what matters.
        java.util.logging.Logger.getLogger("io.fabric8.mockwebserver").setLevel(java.util.logging.Level.WARNING);
    }

    private FakeCluster(Path logDir) {
        this.logDir = logDir;
        api = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                dispatcher, false);
        try {
            api.init(InetAddress.getByName("127.0.0.1"), ItEnvironment.freePort());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Config config = new ConfigBuilder().withMasterUrl(apiUrl()).withTrustCerts(true).withNamespace("default")
                .withAutoConfigure(false).build();
        client = new KubernetesClientBuilder().withConfig(config).build();
        installCrds();
        redis = new PrivateRedis(logDir).start();
        hosts = new HostsFile(logDir.resolve("hosts"));
        garbageCollector = client.genericKubernetesResources(MCP_SERVERS).inAnyNamespace()
                .inform(new ResourceEventHandler<>() {
                    @Override
                    public void onAdd(GenericKubernetesResource obj) {
                    }

                    @Override
                    public void onUpdate(GenericKubernetesResource before, GenericKubernetesResource after) {
                    }

                    @Override
                    public void onDelete(GenericKubernetesResource server, boolean unknownFinalState) {
                        deleteOwnedBy(server);
                    }
                }, 0);
    }

    /** Starts the API server, installs the CRDs and starts Redis; process logs go to {@code logDir}. */
    public static FakeCluster start(Path logDir) {
        return new FakeCluster(logDir);
    }

    private void installCrds() {
        try (Stream<Path> files = Files.list(ItEnvironment.repoRoot().resolve("deploy/crds"))) {
            for (Path file : files.filter(f -> f.getFileName().toString().startsWith("mcpservers")).toList()) {
                try (InputStream in = Files.newInputStream(file)) {
                    CustomResourceDefinition crd = client.getKubernetesSerialization()
                            .unmarshal(in, CustomResourceDefinition.class);
                    client.apiextensions().v1().customResourceDefinitions().resource(crd).create();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read deploy/crds", e);
        }
        // Only what the mock server needs to know about HTTPRoutes (its scope); the controller reads them.
        client.apiextensions().v1().customResourceDefinitions().resource(new CustomResourceDefinitionBuilder()
                .withNewMetadata().withName("httproutes.gateway.networking.k8s.io").endMetadata()
                .withNewSpec().withGroup("gateway.networking.k8s.io").withScope("Namespaced")
                .withNewNames().withKind("HTTPRoute").withPlural("httproutes").withSingular("httproute").endNames()
                .addNewVersion().withName("v1").withServed(true).withStorage(true)
                .withNewSchema().withNewOpenAPIV3Schema().withType("object")
                .withXKubernetesPreserveUnknownFields(true).endOpenAPIV3Schema().endSchema()
                .endVersion().endSpec().build()).create();
    }

    /** The owner-reference garbage collection of a real cluster, for what an MCPServer owns (no GC in the mock). */
    private void deleteOwnedBy(GenericKubernetesResource server) {
        String uid = server.getMetadata().getUid();
        String namespace = server.getMetadata().getNamespace();
        List<? extends HasMetadata> owned = Stream.of(
                        client.apps().statefulSets().inNamespace(namespace).list().getItems(),
                        client.services().inNamespace(namespace).list().getItems(),
                        client.network().v1().networkPolicies().inNamespace(namespace).list().getItems())
                .flatMap(List::stream)
                .filter(o -> o.getMetadata().getOwnerReferences() != null && o.getMetadata().getOwnerReferences()
                        .stream().map(OwnerReference::getUid).anyMatch(uid::equals))
                .toList();
        owned.forEach(o -> client.resource(o).delete());
    }

    /** The YAML of a URL MCPServer, as a user writes it. */
    static String urlServer(String namespace, String name, String prefix, String url) {
        return """
                apiVersion: mcp.manifold.dev/v1alpha1
                kind: MCPServer
                metadata: {name: %s, namespace: %s}
                spec:
                  toolPrefix: %s
                  url: "%s"
                """.formatted(name, namespace, prefix, url);
    }

    /** Every API request the fake cluster received so far. */
    List<ServerSideApplyDispatcher.ApiRequest> apiRequests() {
        return dispatcher.requests();
    }

    public String apiUrl() {
        return "http://127.0.0.1:" + api.getPort();
    }

    public KubernetesClient client() {
        return client;
    }

    public PrivateRedis redis() {
        return redis;
    }

    Path hostsFile() {
        return hosts.path();
    }

    HostsFile hosts() {
        return hosts;
    }

    Path logDir() {
        return logDir;
    }

    /** A fresh loopback address for one "pod" or Service backend: 127.N.x.y. */
    String allocateAddress() {
        int n = nextAddress.getAndIncrement();
        return "127." + addressBlock + "." + (n / 250) + "." + (2 + n % 250);
    }

    /** Creates any object of the kinds the tests use (MCPServer, HTTPRoute, core kinds), from YAML. */
    public GenericKubernetesResource create(String yaml) {
        GenericKubernetesResource resource = client.getKubernetesSerialization()
                .unmarshal(yaml, GenericKubernetesResource.class);
        return create(resource);
    }

    public GenericKubernetesResource create(GenericKubernetesResource resource) {
        String namespace = Optional.ofNullable(resource.getMetadata().getNamespace()).orElse("default");
        return switch (resource.getKind()) {
            case "MCPServer" -> client.genericKubernetesResources(MCP_SERVERS).inNamespace(namespace)
                    .resource(resource).create();
            case "HTTPRoute" -> client.genericKubernetesResources(HTTP_ROUTES).inNamespace(namespace)
                    .resource(resource).create();
            default -> {
                HasMetadata typed = client.getKubernetesSerialization().convertValue(resource, HasMetadata.class);
                client.resource(typed).inNamespace(namespace).create();
                yield resource;
            }
        };
    }

    public Optional<GenericKubernetesResource> mcpServer(String namespace, String name) {
        return Optional.ofNullable(client.genericKubernetesResources(MCP_SERVERS).inNamespace(namespace)
                .withName(name).get());
    }

    public List<GenericKubernetesResource> mcpServers() {
        return client.genericKubernetesResources(MCP_SERVERS).inAnyNamespace().list().getItems();
    }

    public void deleteMcpServer(String namespace, String name) {
        client.genericKubernetesResources(MCP_SERVERS).inNamespace(namespace).withName(name).delete();
    }

    /** The condition {@code type} of an MCPServer's status, as JSON (missing node when absent). */
    public JsonNode condition(String namespace, String name, String type) {
        JsonNode status = mcpServer(namespace, name).map(s -> JSON.valueToTree(s.getAdditionalProperties()))
                .map(p -> ((JsonNode) p).path("status")).orElse(JSON.missingNode());
        for (JsonNode condition : status.path("conditions")) {
            if (type.equals(condition.path("type").asText())) {
                return condition;
            }
        }
        return JSON.missingNode();
    }

    /** Whether the condition is {@code True} for the MCPServer's current generation. */
    public boolean conditionTrue(String namespace, String name, String type) {
        long generation = mcpServer(namespace, name).map(s -> s.getMetadata().getGeneration()).orElse(-1L);
        JsonNode condition = condition(namespace, name, type);
        return "True".equals(condition.path("status").asText())
                && condition.path("observedGeneration").asLong() == generation;
    }

    /** Events about one object, as {@code kubectl describe} shows them. */
    public List<Event> events(String namespace, String involvedName) {
        return client.v1().events().inNamespace(namespace).list().getItems().stream()
                .filter(e -> e.getInvolvedObject() != null && involvedName.equals(e.getInvolvedObject().getName()))
                .toList();
    }

    /** The GatewayConfig the controller published in Redis ({@code <prefix>:config}), or null. */
    public JsonNode publishedConfig(String redisPrefix) {
        String json = redis.cli("GET", redisPrefix + ":config");
        if (json.isBlank()) {
            return null;
        }
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new AssertionError("not a GatewayConfig in " + redisPrefix + ":config: " + json, e);
        }
    }

    @Override
    public void close() {
        garbageCollector.close();
        client.close();
        api.destroy();
        redis.close();
    }
}
