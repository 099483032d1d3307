package dev.manifold.controller.reconciler;

import dev.manifold.controller.api.v1alpha1.MCPServer;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;

/** Records a Kubernetes Event on an MCPServer that lost its prefix. Called only on the transition, never per reconcile. */
@ApplicationScoped
public class ConflictEvents {

    private static final Logger LOG = Logger.getLogger(ConflictEvents.class);
    private final KubernetesClient client;

    public ConflictEvents(KubernetesClient client) {
        this.client = client;
    }

    public void prefixConflict(MCPServer loser, String message) {
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        try {
            client.v1().events().inNamespace(loser.getMetadata().getNamespace()).resource(new EventBuilder()
                    .withNewMetadata()
                    .withName(loser.getMetadata().getName() + "." + UUID.randomUUID().toString().substring(0, 8))
                    .withNamespace(loser.getMetadata().getNamespace())
                    .endMetadata()
                    .withInvolvedObject(new ObjectReferenceBuilder()
                            .withApiVersion(loser.getApiVersion()).withKind(loser.getKind())
                            .withName(loser.getMetadata().getName()).withNamespace(loser.getMetadata().getNamespace())
                            .withUid(loser.getMetadata().getUid()).build())
                    .withType("Warning")
                    .withReason(ConditionReasons.PREFIX_CONFLICT)
                    .withMessage(message)
                    .withCount(1)
                    .withFirstTimestamp(now).withLastTimestamp(now)
                    .withNewSource().withComponent("manifold-controller").endSource()
                    .build()).create();
        } catch (KubernetesClientException e) {
            LOG.warnf("cannot record PrefixConflict event for %s: %s", loser.id(), e.getMessage());
        }
    }
}
