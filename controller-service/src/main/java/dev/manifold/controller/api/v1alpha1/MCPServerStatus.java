package dev.manifold.controller.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import io.quarkus.runtime.annotations.RegisterForReflection;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** Observed state, written only by the controller and only when it differs from what is stored. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@RegisterForReflection
public class MCPServerStatus {

    public static final String ACCEPTED = "Accepted";
    public static final String READY = "Ready";
    public static final String CONFLICT = "Conflict";

    @JsonPropertyDescription("Accepted, Ready and Conflict, each with observedGeneration.")
    private List<Condition> conditions = new ArrayList<>();

    @JsonPropertyDescription("The resolved MCP endpoint.")
    private String url;

    @JsonPropertyDescription("Ready pods of the workload's StatefulSet.")
    private Integer readyReplicas;

    @JsonPropertyDescription("Number of tools the broker sees on this server.")
    private Integer tools;

    @JsonPropertyDescription("Health state reported by the broker: Pending, Ready, Unhealthy or Quarantined.")
    private String health;

    public List<Condition> getConditions() {
        return conditions;
    }

    public void setConditions(List<Condition> conditions) {
        this.conditions = conditions == null ? new ArrayList<>() : conditions;
    }

    public String getUrl() {
        return url;
    }

    public void setUrl(String url) {
        this.url = url;
    }

    public Integer getReadyReplicas() {
        return readyReplicas;
    }

    public void setReadyReplicas(Integer readyReplicas) {
        this.readyReplicas = readyReplicas;
    }

    public Integer getTools() {
        return tools;
    }

    public void setTools(Integer tools) {
        this.tools = tools;
    }

    public String getHealth() {
        return health;
    }

    public void setHealth(String health) {
        this.health = health;
    }

    /** The condition of this type, if present. */
    public Optional<Condition> condition(String type) {
        return conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
    }

    /** Whether the condition of this type is present with status {@code True}. */
    @JsonIgnore
    public boolean isTrue(String type) {
        return condition(type).map(c -> "True".equals(c.getStatus())).orElse(false);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof MCPServerStatus other)) {
            return false;
        }
        return Objects.equals(conditions, other.conditions) && Objects.equals(url, other.url)
                && Objects.equals(readyReplicas, other.readyReplicas) && Objects.equals(tools, other.tools)
                && Objects.equals(health, other.health);
    }

    @Override
    public int hashCode() {
        return Objects.hash(conditions, url, readyReplicas, tools, health);
    }
}
