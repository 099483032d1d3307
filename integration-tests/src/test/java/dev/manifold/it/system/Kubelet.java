package dev.manifold.it.system;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The test plays kubelet and endpoints controller for the StatefulSets the controller creates
 * ({@code app.kubernetes.io/managed-by=manifold}). For each one it runs {@code replicas} real server-everything
 * processes (pods {@code <name>-0..N-1}, each on its own loopback IP and the container port), writes their Pods and
 * one EndpointSlice for the headless Service (hostname = pod name, address, ready), maps each pod's DNS name
 * {@code <pod>.<headless>.<ns>.svc.cluster.local} in the hosts file and reports {@code readyReplicas} on the
 * StatefulSet. Scaling down or deleting a StatefulSet stops its pods. {@link #kill9(String, String)} kills a pod
 * like a lost node: it stays in the slice, not ready, and is not restarted. All changes run on one thread, in order.
 * It never touches MCPServers, Services or anything the controller publishes.
 */
public final class Kubelet implements AutoCloseable {

    static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";
    private static final String CLUSTER_DOMAIN = "cluster.local";

    /** One pod: its process (null once killed) and its stable address. */
    private static final class RunningPod {
        final String name;
        final String address;
        final String dnsName;
        volatile PodProcess process;

        RunningPod(String name, String address, String dnsName) {
            this.name = name;
            this.address = address;
            this.dnsName = dnsName;
        }

        boolean ready() {
            return process != null && process.isAlive();
        }
    }

    private final FakeCluster cluster;
    private final KubernetesClient client;
    private final Path logDir;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> new Thread(r, "kubelet"));
    /** namespace/statefulset → ordinal → pod. */
    private final Map<String, Map<Integer, RunningPod>> pods = new ConcurrentHashMap<>();
    private final Map<String, String> addresses = new ConcurrentHashMap<>();
    private final SharedIndexInformer<StatefulSet> informer;

    public Kubelet(FakeCluster cluster, Path logDir) {
        this.cluster = cluster;
        this.client = cluster.client();
        this.logDir = logDir;
        informer = client.apps().statefulSets().inAnyNamespace()
                .withLabel("app.kubernetes.io/managed-by", "manifold")
                .inform(new ResourceEventHandler<>() {
                    @Override
                    public void onAdd(StatefulSet set) {
                        worker.execute(() -> sync(key(set)));
                    }

                    @Override
                    public void onUpdate(StatefulSet before, StatefulSet after) {
                        worker.execute(() -> sync(key(after)));
                    }

                    @Override
                    public void onDelete(StatefulSet set, boolean unknownFinalState) {
                        worker.execute(() -> sync(key(set)));
                    }
                }, 0);
    }

    private static String key(StatefulSet set) {
        return set.getMetadata().getNamespace() + "/" + set.getMetadata().getName();
    }

    /** Brings the pods of one StatefulSet to what the API says now (the informer may have coalesced changes). */
    private void sync(String key) {
        String namespace = key.substring(0, key.indexOf('/'));
        String name = key.substring(key.indexOf('/') + 1);
        StatefulSet set = client.apps().statefulSets().inNamespace(namespace).withName(name).get();
        Map<Integer, RunningPod> running = pods.computeIfAbsent(key, k -> new ConcurrentHashMap<>());
        int replicas = set == null || set.getSpec().getReplicas() == null ? 0 : set.getSpec().getReplicas();
        for (Integer ordinal : new ArrayList<>(running.keySet())) {
            if (ordinal >= replicas) {
                stop(namespace, running.remove(ordinal));
            }
        }
        if (set == null) {
            pods.remove(key);
            client.discovery().v1().endpointSlices().inNamespace(namespace).withName(sliceName(name)).delete();
            return;
        }
        Container container = set.getSpec().getTemplate().getSpec().getContainers().get(0);
        int port = container.getPorts().get(0).getContainerPort();
        Map<String, String> env = new TreeMap<>();
        if (container.getEnv() != null) {
            for (EnvVar var : container.getEnv()) {
                env.put(var.getName(), var.getValue() == null ? "" : var.getValue());
            }
        }
        String headless = set.getSpec().getServiceName();
        List<RunningPod> started = new ArrayList<>();
        for (int ordinal = 0; ordinal < replicas; ordinal++) {
            if (!running.containsKey(ordinal)) {
                String podName = name + "-" + ordinal;
                RunningPod pod = new RunningPod(podName,
                        addresses.computeIfAbsent(namespace + "/" + podName, p -> cluster.allocateAddress()),
                        dnsName(podName, headless, namespace));
                cluster.hosts().map(pod.dnsName, pod.address);
                running.put(ordinal, pod);
                started.add(pod);
            }
        }
        started.parallelStream().forEach(pod -> pod.process = PodProcess.start(pod.name, pod.address, port, env,
                logDir));
        for (RunningPod pod : started) {
            writePod(namespace, set, pod);
        }
        writeEndpoints(namespace, name, headless, port);
    }

    private void stop(String namespace, RunningPod pod) {
        if (pod.process != null) {
            pod.process.kill9();
        }
        client.pods().inNamespace(namespace).withName(pod.name).delete();
        cluster.hosts().unmap(pod.dnsName);
    }

    static String dnsName(String pod, String headless, String namespace) {
        return pod + "." + headless + "." + namespace + ".svc." + CLUSTER_DOMAIN;
    }

    private static String sliceName(String statefulSet) {
        return statefulSet + "-headless-kubelet";
    }

    private void writePod(String namespace, StatefulSet set, RunningPod pod) {
        Pod object = new PodBuilder()
                .withNewMetadata().withName(pod.name).withNamespace(namespace)
                .withLabels(set.getSpec().getTemplate().getMetadata().getLabels()).endMetadata()
                .withNewSpec().withContainers(set.getSpec().getTemplate().getSpec().getContainers())
                .withHostname(pod.name).withSubdomain(set.getSpec().getServiceName()).endSpec()
                .withNewStatus().withPhase("Running").withPodIP(pod.address)
                .addNewCondition().withType("Ready").withStatus(pod.ready() ? "True" : "False").endCondition()
                .endStatus().build();
        client.pods().inNamespace(namespace).resource(object).createOr(existing -> existing.update());
    }

    /** The one EndpointSlice of the headless Service, listing every pod with its readiness; then the set's status. */
    private void writeEndpoints(String namespace, String statefulSet, String headless, int port) {
        Map<Integer, RunningPod> running = pods.getOrDefault(namespace + "/" + statefulSet, Map.of());
        List<Endpoint> endpoints = new ArrayList<>();
        new TreeMap<>(running).values().forEach(pod -> endpoints.add(new EndpointBuilder()
                .withAddresses(pod.address).withHostname(pod.name)
                .withNewConditions().withReady(pod.ready()).withServing(pod.ready()).endConditions()
                .withNewTargetRef().withKind("Pod").withName(pod.name).withNamespace(namespace).endTargetRef()
                .build()));
        EndpointSlice slice = new EndpointSliceBuilder()
                .withNewMetadata().withName(sliceName(statefulSet)).withNamespace(namespace)
                .addToLabels(SERVICE_NAME_LABEL, headless)
                .addToLabels("endpointslice.kubernetes.io/managed-by", "manifold-it-kubelet").endMetadata()
                .withAddressType("IPv4").withEndpoints(endpoints)
                .addNewPort().withName("mcp").withPort(port).withProtocol("TCP").endPort()
                .build();
        client.discovery().v1().endpointSlices().inNamespace(namespace).resource(slice)
                .createOr(existing -> existing.update());
        long ready = running.values().stream().filter(RunningPod::ready).count();
        StatefulSet set = client.apps().statefulSets().inNamespace(namespace).withName(statefulSet).get();
        if (set != null) {
            client.apps().statefulSets().inNamespace(namespace).withName(statefulSet).subresource("status")
                    .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"status\":{\"replicas\":" + running.size()
                            + ",\"readyReplicas\":" + ready + ",\"availableReplicas\":" + ready + "}}");
        }
    }

    /** Kills one pod like a lost node; it stays in the slice, not ready, and is not restarted. */
    public void kill9(String namespace, String pod) {
        String statefulSet = pod.substring(0, pod.lastIndexOf('-'));
        RunningPod running = pods.getOrDefault(namespace + "/" + statefulSet, Map.of()).values().stream()
                .filter(p -> p.name.equals(pod)).findFirst()
                .orElseThrow(() -> new AssertionError("no pod " + namespace + "/" + pod));
        run(() -> {
            running.process.kill9();
            StatefulSet set = client.apps().statefulSets().inNamespace(namespace).withName(statefulSet).get();
            writePod(namespace, set, running);
            writeEndpoints(namespace, statefulSet, set.getSpec().getServiceName(),
                    running.process.port());
        });
    }

    /** The names of the pods of one StatefulSet whose processes are running (ready). */
    public List<String> readyPods(String namespace, String statefulSet) {
        return pods.getOrDefault(namespace + "/" + statefulSet, Map.of()).values().stream()
                .filter(RunningPod::ready).map(p -> p.name).sorted().toList();
    }

    /** How many pod processes are running, over every StatefulSet. */
    public long runningPods() {
        return pods.values().stream().flatMap(set -> set.values().stream()).filter(RunningPod::ready).count();
    }

    /** How many MCP sessions the pod's own process says it initialized. */
    public long sessionsInitialized(String namespace, String pod) {
        String statefulSet = pod.substring(0, pod.lastIndexOf('-'));
        return pods.getOrDefault(namespace + "/" + statefulSet, Map.of()).values().stream()
                .filter(p -> p.name.equals(pod) && p.process != null).findFirst()
                .map(p -> p.process.sessionsInitialized()).orElse(0L);
    }

    /** Runs {@code action} on the kubelet's thread, after every change already queued, and waits for it. */
    private void run(Runnable action) {
        try {
            worker.submit(action).get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("kubelet action failed", e);
        }
    }

    @Override
    public void close() {
        informer.close();
        worker.shutdownNow();
        pods.values().forEach(set -> set.values().forEach(p -> {
            if (p.process != null) {
                p.process.close();
            }
        }));
    }
}
