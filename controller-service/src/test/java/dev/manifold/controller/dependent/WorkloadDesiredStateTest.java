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

    private static StatefulSet desired(List<WorkloadSpec.EnvEntry> env, String image) {
        MCPServer s = new MCPServer();
        s.setMetadata(new ObjectMetaBuilder().withNamespace("ns").withName("srv").build());
        MCPServerSpec spec = new MCPServerSpec();
        WorkloadSpec w = new WorkloadSpec();
        w.setImage(image);
        w.setEnv(env);
        spec.setWorkload(w);
        s.setSpec(spec);
        return new MCPServerStatefulSetDependent().desired(s, null);
    }
}
