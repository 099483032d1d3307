package dev.manifold.controller.dependent;

import dev.manifold.controller.api.v1alpha1.MCPServer;
import dev.manifold.controller.api.v1alpha1.MCPServerSpec;
import dev.manifold.controller.api.v1alpha1.WorkloadSpec;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

class WorkloadDesiredStateTest {

    @Test
    void envOrderDoesNotChangeTheHashButTheImageDoes() {
        StatefulSet a = desired(List.of(new WorkloadSpec.EnvEntry("B", "2"), new WorkloadSpec.EnvEntry("A", "1")), "img:1");
        StatefulSet b = desired(List.of(new WorkloadSpec.EnvEntry("A", "1"), new WorkloadSpec.EnvEntry("B", "2")), "img:1");
        StatefulSet c = desired(List.of(new WorkloadSpec.EnvEntry("A", "1"), new WorkloadSpec.EnvEntry("B", "2")), "img:2");
        assertEquals(DesiredHash.of(a), DesiredHash.of(b));
        assertNotEquals(DesiredHash.of(a), DesiredHash.of(c));
        assertEquals(DesiredHash.of(a), a.getSpec().getTemplate().getMetadata().getAnnotations().get(WorkloadNames.CONFIG_HASH));
        assertEquals("srv-headless", a.getSpec().getServiceName());
    }

    @Test
    void workloadPodsAreRestrictedHaveResourcesAndAReadinessProbe() {
        StatefulSet tcp = desired(List.of(), "img:1");
        var pod = tcp.getSpec().getTemplate().getSpec();
        assertEquals(Boolean.TRUE, pod.getSecurityContext().getRunAsNonRoot());
        assertEquals("RuntimeDefault", pod.getSecurityContext().getSeccompProfile().getType());
        var container = pod.getContainers().get(0);
        assertEquals(Boolean.FALSE, container.getSecurityContext().getAllowPrivilegeEscalation());
        assertEquals(List.of("ALL"), container.getSecurityContext().getCapabilities().getDrop());
        assertEquals("512Mi", container.getResources().getLimits().get("memory").toString());
        assertEquals("mcp", container.getReadinessProbe().getTcpSocket().getPort().getStrVal());

        MCPServer withPath = server(List.of(), "img:1");
        withPath.getSpec().getWorkload().setReadinessPath("/healthz");
        withPath.getSpec().getWorkload().setRunAsUser(1000L);
        StatefulSet http = new MCPServerStatefulSetDependent().desired(withPath, null);
        var probe = http.getSpec().getTemplate().getSpec().getContainers().get(0).getReadinessProbe();
        assertEquals("/healthz", probe.getHttpGet().getPath());
        assertEquals(1000L, http.getSpec().getTemplate().getSpec().getSecurityContext().getRunAsUser());
        // The probe is part of the desired state: changing it rolls the pods (a new config hash).
        assertNotEquals(DesiredHash.of(tcp), DesiredHash.of(http));
    }

    private static StatefulSet desired(List<WorkloadSpec.EnvEntry> env, String image) {
        return new MCPServerStatefulSetDependent().desired(server(env, image), null);
    }

    private static MCPServer server(List<WorkloadSpec.EnvEntry> env, String image) {
        MCPServer s = new MCPServer();
        s.setMetadata(new ObjectMetaBuilder().withNamespace("ns").withName("srv").build());
        MCPServerSpec spec = new MCPServerSpec();
        WorkloadSpec w = new WorkloadSpec();
        w.setImage(image);
        w.setEnv(env);
        spec.setWorkload(w);
        s.setSpec(spec);
        return s;
    }
}
