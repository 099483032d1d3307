package dev.manifold.controller.reconciler;

import dev.manifold.controller.api.v1alpha1.MCPServer;
import dev.manifold.controller.api.v1alpha1.MCPServerStatus;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Builds the next status from the current one. Every condition carries the current {@code observedGeneration};
 * {@code lastTransitionTime} is kept unless the condition's status or reason changed; {@link #changed()} is
 * false when the result equals what is stored, so the reconciler writes nothing.
 */
public final class MCPServerStatusAggregator {

    private static final List<String> ORDER = List.of(MCPServerStatus.ACCEPTED, MCPServerStatus.READY,
            MCPServerStatus.CONFLICT);

    private final MCPServerStatus previous;
    private final MCPServerStatus next = new MCPServerStatus();
    private final Long generation;
    private final Clock clock;

    public MCPServerStatusAggregator(MCPServer server, Clock clock) {
        this.previous = server.getStatus();
        this.generation = server.getMetadata().getGeneration();
        this.clock = clock;
    }

    public MCPServerStatusAggregator condition(String type, boolean status, String reason, String message) {
        String value = status ? "True" : "False";
        Optional<Condition> before = previous == null ? Optional.empty() : previous.condition(type);
        String since = before.filter(c -> value.equals(c.getStatus()) && Objects.equals(reason, c.getReason()))
                .map(Condition::getLastTransitionTime)
                .orElseGet(() -> Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString());
        next.getConditions().removeIf(c -> type.equals(c.getType()));
        next.getConditions().add(new ConditionBuilder()
                .withType(type).withStatus(value).withReason(reason).withMessage(message == null ? "" : message)
                .withObservedGeneration(generation).withLastTransitionTime(since).build());
        return this;
    }

    /**
     * Keeps the stored condition of this type (re-stamped with the current generation) and the stored health and
     * tools, for when the source of truth cannot be read; uses the given fallback when nothing is stored.
     */
    public MCPServerStatusAggregator keepPrevious(String type, String fallbackReason, String fallbackMessage) {
        Optional<Condition> before = previous(type);
        if (before.isPresent()) {
            condition(type, "True".equals(before.get().getStatus()), before.get().getReason(), before.get().getMessage());
        } else {
            condition(type, false, fallbackReason, fallbackMessage);
        }
        if (previous != null) {
            health(previous.getHealth(), previous.getTools());
        }
        return this;
    }

    public MCPServerStatusAggregator url(String url) {
        next.setUrl(url);
        return this;
    }

    public MCPServerStatusAggregator readyReplicas(Integer readyReplicas) {
        next.setReadyReplicas(readyReplicas);
        return this;
    }

    public MCPServerStatusAggregator health(String state, Integer tools) {
        next.setHealth(state);
        next.setTools(tools);
        return this;
    }

    /** The previous condition of this type, for transitions the reconciler reacts to (events). */
    public Optional<Condition> previous(String type) {
        return previous == null ? Optional.empty() : previous.condition(type);
    }

    public MCPServerStatus build() {
        List<Condition> sorted = new ArrayList<>(next.getConditions());
        sorted.sort((a, b) -> Integer.compare(rank(a.getType()), rank(b.getType())));
        next.setConditions(sorted);
        return next;
    }

    /** Whether {@link #build()} differs from the stored status. */
    public boolean changed() {
        return !build().equals(previous);
    }

    private static int rank(String type) {
        int i = ORDER.indexOf(type);
        return i < 0 ? ORDER.size() : i;
    }
}
