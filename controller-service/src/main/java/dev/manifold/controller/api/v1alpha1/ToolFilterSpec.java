package dev.manifold.controller.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.quarkus.runtime.annotations.RegisterForReflection;

import java.util.List;

/** Glob filters over the server's own tool names ({@code *} and {@code ?}). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@RegisterForReflection
public class ToolFilterSpec {

    @JsonPropertyDescription("Expose only tools matching one of these globs (all when empty).")
    private List<String> include;

    @JsonPropertyDescription("Hide tools matching any of these globs.")
    private List<String> exclude;

    public List<String> getInclude() {
        return include;
    }

    public void setInclude(List<String> include) {
        this.include = include;
    }

    public List<String> getExclude() {
        return exclude;
    }

    public void setExclude(List<String> exclude) {
        this.exclude = exclude;
    }
}
