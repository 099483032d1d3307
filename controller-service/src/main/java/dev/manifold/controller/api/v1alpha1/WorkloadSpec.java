package dev.manifold.controller.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.quarkus.runtime.annotations.RegisterForReflection;

import java.util.List;

/** A server the controller runs: a StatefulSet behind the headless Service {@code <name>-headless}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@RegisterForReflection
public class WorkloadSpec {

    @JsonPropertyDescription("Container image of the MCP server.")
    @Required
    private String image;

    @JsonPropertyDescription("Number of pods.")
    @Default("1")
    @Min(0)
    private Integer replicas = 1;

    @JsonPropertyDescription("Container port serving MCP (Streamable HTTP).")
    @Default("8080")
    @Min(1)
    @Max(65535)
    private Integer port = 8080;

    @JsonPropertyDescription("HTTP path of the MCP endpoint.")
    @Default("/mcp")
    @Pattern("^/.*")
    private String path = "/mcp";

    @JsonPropertyDescription("Container arguments, in order.")
    private List<String> args;

    @JsonPropertyDescription("Environment variables (order does not matter; they are applied sorted by name).")
    private List<EnvEntry> env;

    @JsonPropertyDescription("Container resource requests and limits. Default: requests cpu 100m and memory 128Mi, limit memory 512Mi.")
    private ResourceRequirements resources;

    @JsonPropertyDescription("HTTP path the readiness probe GETs on the MCP port (it must answer 2xx or 3xx without an MCP session). Unset: a TCP probe on the MCP port.")
    @Pattern("^/.*")
    private String readinessPath;

    @JsonPropertyDescription("UID to run the container as, for images whose user is root by name; the pod always runs as non-root.")
    @Min(1)
    private Long runAsUser;

    public String getImage() {
        return image;
    }

    public void setImage(String image) {
        this.image = image;
    }

    public Integer getReplicas() {
        return replicas;
    }

    public void setReplicas(Integer replicas) {
        this.replicas = replicas;
    }

    public Integer getPort() {
        return port;
    }

    public void setPort(Integer port) {
        this.port = port;
    }

    public String getPath() {
        return path;
    }

    public void setPath(String path) {
        this.path = path;
    }

    public List<String> getArgs() {
        return args;
    }

    public void setArgs(List<String> args) {
        this.args = args;
    }

    public List<EnvEntry> getEnv() {
        return env;
    }

    public void setEnv(List<EnvEntry> env) {
        this.env = env;
    }

    public String getReadinessPath() {
        return readinessPath;
    }

    public void setReadinessPath(String readinessPath) {
        this.readinessPath = readinessPath;
    }

    public Long getRunAsUser() {
        return runAsUser;
    }

    public void setRunAsUser(Long runAsUser) {
        this.runAsUser = runAsUser;
    }

    public ResourceRequirements getResources() {
        return resources;
    }

    public void setResources(ResourceRequirements resources) {
        this.resources = resources;
    }

    /** One environment variable of the workload container. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @RegisterForReflection
    public static class EnvEntry {
        @Required
        @Pattern("^[A-Za-z_][A-Za-z0-9_]*$")
        private String name;
        private String value;

        public EnvEntry() {
        }

        public EnvEntry(String name, String value) {
            this.name = name;
            this.value = value;
        }

        public String getName() {
            return name;
        }

        public void setName(String name) {
            this.name = name;
        }

        public String getValue() {
            return value;
        }

        public void setValue(String value) {
            this.value = value;
        }
    }
}
