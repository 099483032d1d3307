package dev.manifold.it.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.manifold.it.support.ItEnvironment;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The manifests in deploy/ are valid and agree with the services, with no cluster: every kustomization renders
 * (with {@code kubectl kustomize}: kubectl is installed on the build machines and in CI), every document parses into
 * its fabric8 model with no unknown field, every image is named through {@code images:}, the rendered single files
 * are current, the NetworkPolicies select the pods they mean, the env variables the Deployments set are keys the
 * services read, and the probes and ports are the ones the services serve. The MCPServer examples are valid
 * against the CRD's schema (a sibling test, {@link ClusterExamplesIT}).
 */
class DeployManifestsIT {

    static final List<String> KUSTOMIZATIONS = List.of("deploy", "deploy/base", "deploy/crds",
            "deploy/overlays/production", "deploy/overlays/external-redis", "deploy/overlays/namespaced",
            "deploy/overlays/oauth",
            "deploy/monitoring");
    static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    /** What each service serves on its container port (Quarkus: 8080, SmallRye Health under /q/health). */
    static final Set<String> PROBE_PATHS = Set.of("/q/health/live", "/q/health/ready", "/q/health/group/serving");
    /** Deployment (container) → the module whose @ConfigMapping it reads. */
    static final Map<String, String> MODULES = Map.of("manifold-broker", "broker-service",
            "manifold-controller", "controller-service", "manifold-proxy-runner", "proxy-runner");
    /**
     * The Quarkus keys the manifests set (by env): each is a key of an extension the service includes
     * (quarkus-redis-client: hosts, password; quarkus-operator-sdk: the MCPServer controller's namespaces;
     * quarkus-logging-json: JSON console logs).
     */
    static final Map<String, Set<String>> QUARKUS_ENV = Map.of(
            "QUARKUS_REDIS_HOSTS", Set.of("broker-service", "controller-service", "proxy-runner"),
            "QUARKUS_REDIS_PASSWORD", Set.of("broker-service", "controller-service", "proxy-runner"),
            "QUARKUS_OPERATOR_SDK_CONTROLLERS_MCPSERVER_NAMESPACES", Set.of("controller-service"),
            "QUARKUS_LOG_CONSOLE_JSON_ENABLED", Set.of("broker-service", "controller-service", "proxy-runner"));

    static String kustomize(String dir) {
        Path root = ItEnvironment.repoRoot();
        try {
            Process p = new ProcessBuilder("kubectl", "kustomize", root.resolve(dir).toString())
                    .redirectErrorStream(false).start();
            byte[] out = p.getInputStream().readAllBytes();
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "kubectl kustomize " + dir + " did not finish");
            assertEquals(0, p.exitValue(), "kubectl kustomize " + dir + " failed: " + err);
            return new String(out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AssertionError("kubectl is needed to render deploy/ (kubectl kustomize): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    static List<HasMetadata> documents(String yaml) {
        List<HasMetadata> docs = new ArrayList<>();
        for (String doc : yaml.split("(?m)^---\\s*$")) {
            if (doc.isBlank() || doc.lines().allMatch(l -> l.isBlank() || l.startsWith("#"))) {
                continue;
            }
            Object parsed = SERIALIZATION.unmarshal(doc);
            assertTrue(parsed instanceof HasMetadata, "not a Kubernetes object: " + doc);
            docs.add((HasMetadata) parsed);
        }
        return docs;
    }

    @Test
    void everyKustomizationRendersAndEveryDocumentIsAKnownKindWithNoUnknownField() {
        for (String dir : KUSTOMIZATIONS) {
            List<HasMetadata> docs = documents(kustomize(dir));
            assertFalse(docs.isEmpty(), dir + " renders nothing");
            for (HasMetadata doc : docs) {
                String what = dir + ": " + doc.getKind() + " " + doc.getMetadata().getName();
                if (doc instanceof GenericKubernetesResource generic) {
                    // Kinds fabric8 has no model for here: the Prometheus Operator's, checked for their structure.
                    prometheusOperatorKind(what, generic);
                } else {
                    List<String> unknown = new ArrayList<>();
                    unknownFields(doc, "", unknown);
                    assertTrue(unknown.isEmpty(), what + " has unknown fields " + unknown);
                }
            }
        }
    }

    @Test
    void theUnknownFieldCheckCatchesATypo() {
        List<HasMetadata> docs = documents("""
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: typo}
                spec:
                  selector: {matchLabels: {app: x}}
                  template:
                    metadata: {labels: {app: x}}
                    spec:
                      containers:
                        - name: c
                          image: i
                          readinessProbe: {httpGet: {path: /q/health/ready, port: 8080}, periodSecond: 5}
                """);
        List<String> unknown = new ArrayList<>();
        unknownFields(docs.get(0), "", unknown);
        assertEquals(1, unknown.size(), unknown.toString());
        assertTrue(unknown.get(0).contains("periodSecond"), unknown.toString());
    }

    private static void prometheusOperatorKind(String what, GenericKubernetesResource doc) {
        JsonNode json = YAML.valueToTree(doc);
        switch (doc.getKind()) {
            case "ServiceMonitor" -> {
                assertEquals("monitoring.coreos.com/v1", doc.getApiVersion(), what);
                assertTrue(json.path("spec").path("selector").path("matchLabels").size() > 0, what + " selects nothing");
                json.path("spec").path("endpoints").forEach(e -> assertEquals("http", e.path("port").asText(), what));
                assertTrue(json.path("spec").path("endpoints").size() > 0, what + " has no endpoints");
                Set<String> known = Set.of("apiVersion", "kind", "metadata", "spec");
                json.fieldNames().forEachRemaining(f -> assertTrue(known.contains(f), what + ": unknown field " + f));
            }
            case "PrometheusRule" -> {
                assertEquals("monitoring.coreos.com/v1", doc.getApiVersion(), what);
                JsonNode groups = json.path("spec").path("groups");
                assertTrue(groups.size() > 0, what + " has no groups");
                groups.forEach(g -> g.path("rules").forEach(r -> {
                    assertFalse(r.path("alert").asText().isBlank(), what + ": a rule without alert");
                    assertFalse(r.path("expr").asText().isBlank(), what + ": " + r.path("alert") + " without expr");
                    r.fieldNames().forEachRemaining(f -> assertTrue(
                            Set.of("alert", "expr", "for", "labels", "annotations").contains(f), what + ": unknown " + f));
                }));
            }
            default -> fail(what + ": a kind neither fabric8 nor this test knows");
        }
    }

    /** Collects the paths of fields a fabric8 model did not recognise (they land in additionalProperties). */
    private static void unknownFields(Object node, String path, List<String> unknown) {
        if (node == null) {
            return;
        }
        if (node instanceof Collection<?> list) {
            int i = 0;
            for (Object o : list) {
                unknownFields(o, path + "[" + i++ + "]", unknown);
            }
            return;
        }
        if (node instanceof Map<?, ?> map) {
            map.forEach((k, v) -> unknownFields(v, path + "." + k, unknown));
            return;
        }
        if (!(node instanceof KubernetesResource) && !node.getClass().getName().startsWith("io.fabric8")) {
            return;
        }
        for (Method m : node.getClass().getMethods()) {
            if (m.getParameterCount() != 0 || Modifier.isStatic(m.getModifiers()) || !m.getName().startsWith("get")
                    || m.getDeclaringClass() == Object.class) {
                continue;
            }
            try {
                Object value = m.invoke(node);
                if (m.getName().equals("getAdditionalProperties")) {
                    if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
                        unknown.add(path + " " + extra.keySet());
                    }
                } else if (value != null && (value instanceof KubernetesResource || value instanceof Collection<?>
                        || value instanceof Map<?, ?> || value.getClass().getName().startsWith("io.fabric8.kubernetes.api"))) {
                    unknownFields(value, path + "." + m.getName().substring(3), unknown);
                }
            } catch (ReflectiveOperationException e) {
                throw new AssertionError(e);
            }
        }
    }

    @Test
    void everyImageIsNamedThroughImagesSoAnOverlayCanRetagIt() throws IOException {
        JsonNode base = YAML.readTree(ItEnvironment.repoRoot().resolve("deploy/base/kustomization.yaml").toFile());
        Set<String> named = new TreeSet<>();
        base.path("images").forEach(i -> named.add(i.path("newName").asText(i.path("name").asText()) + ":"
                + i.path("newTag").asText()));
        for (String dir : KUSTOMIZATIONS) {
            for (HasMetadata doc : documents(kustomize(dir))) {
                for (Container c : containers(doc)) {
                    assertTrue(named.contains(c.getImage()), dir + ": " + doc.getMetadata().getName() + " runs "
                            + c.getImage() + ", which deploy/base/kustomization.yaml images: does not name " + named);
                }
            }
        }
    }

    @Test
    void theRenderedSingleFilesAreCurrent() throws IOException {
        Path root = ItEnvironment.repoRoot();
        for (String[] pair : new String[][] {{"deploy/manifold.yaml", "deploy/base"}, {"deploy/manifold-crds.yaml", "deploy/crds"}}) {
            String committed = Files.readString(root.resolve(pair[0]));
            String body = committed.substring(committed.indexOf('\n') + 1);
            assertEquals(kustomize(pair[1]), body, pair[0] + " is stale: run scripts/render-deploy.sh");
        }
    }

    @Test
    void networkPoliciesSelectThePodsTheyMean() {
        for (String dir : List.of("deploy/base", "deploy/overlays/production", "deploy/overlays/external-redis")) {
            List<HasMetadata> docs = documents(kustomize(dir));
            List<Map<String, String>> podLabels = docs.stream().map(DeployManifestsIT::template)
                    .filter(t -> t != null).map(t -> t.getMetadata().getLabels()).toList();
            for (HasMetadata doc : docs) {
                if (!(doc instanceof NetworkPolicy policy)) {
                    continue;
                }
                String what = dir + ": NetworkPolicy " + policy.getMetadata().getName();
                assertTrue(podLabels.stream().anyMatch(l -> matches(policy.getSpec().getPodSelector(), l)),
                        what + " selects no pod of Manifold's");
                policy.getSpec().getIngress().forEach(rule -> {
                    for (NetworkPolicyPeer peer : rule.getFrom()) {
                        if (peer.getPodSelector() != null && peer.getNamespaceSelector() == null) {
                            assertTrue(podLabels.stream().anyMatch(l -> matches(peer.getPodSelector(), l)),
                                    what + " admits pods " + peer.getPodSelector() + " that no workload has");
                        }
                    }
                });
            }
        }
    }

    @Test
    void containersServeTheirProbesOnTheirPortAndReadOnlyRootsHaveAWritableTmp() {
        for (String dir : List.of("deploy/base", "deploy/overlays/production")) {
            for (HasMetadata doc : documents(kustomize(dir))) {
                if (!(doc instanceof Deployment d)) {
                    continue;
                }
                PodTemplateSpec t = d.getSpec().getTemplate();
                for (Container c : t.getSpec().getContainers()) {
                    String what = dir + ": " + d.getMetadata().getName() + "/" + c.getName();
                    assertEquals(8080, c.getPorts().get(0).getContainerPort(), what + ": Quarkus listens on 8080");
                    assertEquals("http", c.getPorts().get(0).getName(), what);
                    for (Probe probe : new Probe[] {c.getLivenessProbe(), c.getReadinessProbe()}) {
                        assertTrue(probe != null && probe.getHttpGet() != null, what + " lacks an HTTP probe");
                        assertTrue(PROBE_PATHS.contains(probe.getHttpGet().getPath()), what + " probes "
                                + probe.getHttpGet().getPath());
                        assertEquals("http", probe.getHttpGet().getPort().getStrVal(), what);
                    }
                    if (Boolean.TRUE.equals(c.getSecurityContext().getReadOnlyRootFilesystem())) {
                        assertTrue(c.getVolumeMounts().stream().anyMatch(m -> m.getMountPath().equals("/tmp")),
                                what + ": a read-only root needs a writable /tmp (Quarkus' vertx-cache)");
                    }
                    String annotationPort = t.getMetadata().getAnnotations().get("prometheus.io/port");
                    assertEquals("8080", annotationPort, what + ": prometheus.io/port");
                    assertEquals("/q/metrics", t.getMetadata().getAnnotations().get("prometheus.io/path"), what);
                }
            }
        }
    }

    @Test
    void everyEnvVariableTheManifestsSetIsAKeyTheServiceReads() throws Exception {
        Map<String, Set<String>> envByModule = new HashMap<>();
        for (String module : MODULES.values()) {
            envByModule.put(module, configMappingEnvNames(module));
        }
        for (String dir : KUSTOMIZATIONS) {
            for (HasMetadata doc : documents(kustomize(dir))) {
                if (!(doc instanceof Deployment d)) {
                    continue;
                }
                String module = MODULES.get(d.getMetadata().getName());
                assertTrue(module != null, dir + ": an unexpected Deployment " + d.getMetadata().getName());
                for (Container c : d.getSpec().getTemplate().getSpec().getContainers()) {
                    for (EnvVar env : c.getEnv()) {
                        String name = env.getName();
                        String what = dir + ": " + d.getMetadata().getName() + " sets " + name;
                        if (name.startsWith("MANIFOLD_")) {
                            assertTrue(envByModule.get(module).contains(name), what + ", which " + module
                                    + " does not read; it reads " + envByModule.get(module));
                        } else {
                            assertTrue(QUARKUS_ENV.getOrDefault(name, Set.of()).contains(module), what
                                    + ": not a key this test knows the service reads");
                        }
                    }
                }
            }
        }
    }

    /** The env names of every key of the module's @ConfigMapping interface (read as docs/configuration.md is). */
    static Set<String> configMappingEnvNames(String module) throws Exception {
        ConfigurationDocIT.Service service = ConfigurationDocIT.SERVICES.stream()
                .filter(s -> s.module().equals(module)).findFirst().orElseThrow();
        Set<String> env = new TreeSet<>();
        for (String[] row : ConfigurationDocIT.mappingKeys(ItEnvironment.repoRoot(), service)) {
            env.add(ConfigurationDocIT.env(row[0]));
        }
        return env;
    }

    private static PodTemplateSpec template(HasMetadata doc) {
        if (doc instanceof Deployment d) {
            return d.getSpec().getTemplate();
        }
        if (doc instanceof StatefulSet s) {
            return s.getSpec().getTemplate();
        }
        return null;
    }

    private static List<Container> containers(HasMetadata doc) {
        PodTemplateSpec t = template(doc);
        return t == null ? List.of() : t.getSpec().getContainers();
    }

    static boolean matches(LabelSelector selector, Map<String, String> labels) {
        if (selector == null || labels == null) {
            return false;
        }
        Map<String, String> wanted = selector.getMatchLabels() == null ? Map.of() : selector.getMatchLabels();
        for (Map.Entry<String, String> e : wanted.entrySet()) {
            if (!e.getValue().equals(labels.get(e.getKey()))) {
                return false;
            }
        }
        if (selector.getMatchExpressions() != null) {
            for (LabelSelectorRequirement r : selector.getMatchExpressions()) {
                String value = labels.get(r.getKey());
                boolean ok = switch (r.getOperator()) {
                    case "In" -> value != null && r.getValues().contains(value);
                    case "NotIn" -> value == null || !r.getValues().contains(value);
                    case "Exists" -> value != null;
                    case "DoesNotExist" -> value == null;
                    default -> throw new AssertionError("operator " + r.getOperator());
                };
                if (!ok) {
                    return false;
                }
            }
        }
        return !wanted.isEmpty() || selector.getMatchExpressions() != null;
    }
}
