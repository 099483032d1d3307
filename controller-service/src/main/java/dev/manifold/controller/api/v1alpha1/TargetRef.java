package dev.manifold.controller.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.quarkus.runtime.annotations.RegisterForReflection;

/** A Gateway API HTTPRoute or a core Service; the controller only reads it. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@RegisterForReflection
public class TargetRef {

    public static final String HTTP_ROUTE = "HTTPRoute";
    public static final String SERVICE = "Service";

    @JsonPropertyDescription("API group: gateway.networking.k8s.io for an HTTPRoute, empty for a Service.")
    private String group;

    @JsonPropertyDescription("HTTPRoute or Service.")
    @Required
    @Pattern("^(HTTPRoute|Service)$")
    private String kind;

    @JsonPropertyDescription("Name of the HTTPRoute or Service.")
    @Required
    private String name;

    @JsonPropertyDescription("Namespace of the target; defaults to the MCPServer's namespace.")
    private String namespace;

    @JsonPropertyDescription("Service port; defaults to the backendRef port (HTTPRoute) or the Service's first port.")
    @Min(1)
    @Max(65535)
    private Integer port;

    @JsonPropertyDescription("HTTP path of the MCP endpoint on the resolved backend.")
    @Default("/mcp")
    @Pattern("^/.*")
    private String path = "/mcp";

    public String getGroup() {
        return group;
    }

    public void setGroup(String group) {
        this.group = group;
    }

    public String getKind() {
        return kind;
    }

    public void setKind(String kind) {
        this.kind = kind;
    }

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public String getNamespace() {
        return namespace;
    }

    public void setNamespace(String namespace) {
        this.namespace = namespace;
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
}
