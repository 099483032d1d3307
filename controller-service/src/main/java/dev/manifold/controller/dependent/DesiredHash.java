package dev.manifold.controller.dependent;

import dev.manifold.contracts.CanonicalJson;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.processing.dependent.Matcher;

import java.util.Map;
import java.util.Objects;

/**
 * Stamps a desired object with the hash of its canonical form and matches an actual object by that hash
 * alone, so an object is updated exactly when the desired state changed, whatever the API server defaulted.
 */
final class DesiredHash {

    private DesiredHash() {
    }

    /** Sets {@code mcp.manifold.dev/config-hash} on {@code desired} to the hash of {@code canonicalSpec}. */
    static <R extends HasMetadata> R stamp(R desired, Object canonicalSpec) {
        String hash = CanonicalJson.hash(Map.of("labels", desired.getMetadata().getLabels(), "spec", canonicalSpec));
        desired.getMetadata().getAnnotations().put(WorkloadNames.CONFIG_HASH, hash);
        return desired;
    }

    static String of(HasMetadata resource) {
        Map<String, String> annotations = resource.getMetadata().getAnnotations();
        return annotations == null ? null : annotations.get(WorkloadNames.CONFIG_HASH);
    }

    static <R extends HasMetadata> Matcher.Result<R> match(R actual, R desired) {
        return Matcher.Result.computed(Objects.equals(of(actual), of(desired)), desired);
    }
}
