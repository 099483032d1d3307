package dev.manifold.controller.api.v1alpha1;

import dev.manifold.contracts.ServerEntry;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * How to reach the server (exactly one of {@code targetRef}, {@code url}, {@code workload}) and how the
 * gateway exposes it. Defaults live in the CRD schema; the controller never mutates the spec.
 */
@ValidationRule(value = "(has(self.targetRef) ? 1 : 0) + (has(self.url) ? 1 : 0) + (has(self.workload) ? 1 : 0) == 1",
        message = "exactly one of targetRef, url or workload must be set")
@JsonInclude(JsonInclude.Include.NON_NULL)
@RegisterForReflection
public class MCPServerSpec {

    @JsonPropertyDescription("A Gateway API HTTPRoute or a Service the controller resolves to a URL (read, never written).")
    private TargetRef targetRef;

    @JsonPropertyDescription("The MCP endpoint (Streamable HTTP) of an external server.")
    @Pattern("^https?://.+")
    private String url;

    @JsonPropertyDescription("A server the controller runs as a StatefulSet with a headless Service.")
    private WorkloadSpec workload;

    @JsonPropertyDescription("Prefix of this server's tool, prompt and resource names. Optional only when the gateway's prefixMode is never or conditional.")
    @Pattern(ServerEntry.PREFIX_PATTERN)
    @Size(max = ServerEntry.PREFIX_MAX_LENGTH)
    private String toolPrefix;

    @JsonPropertyDescription("Glob filters over the server's own tool names.")
    private ToolFilterSpec toolFilter;

    @JsonPropertyDescription("The Secret key (in this namespace) holding the credential the broker sends to the server.")
    private CredentialRefSpec credentialRef;

    @JsonPropertyDescription("A disabled server is not published.")
    @Default("true")
    private Boolean enabled = Boolean.TRUE;

    @JsonPropertyDescription("Optional MCP protocol version to prefer with this server, for example 2025-06-18.")
    private String protocolHint;

    public TargetRef getTargetRef() {
        return targetRef;
    }

    public void setTargetRef(TargetRef targetRef) {
        this.targetRef = targetRef;
    }

    public String getUrl() {
        return url;
    }

    public void setUrl(String url) {
        this.url = url;
    }

    public WorkloadSpec getWorkload() {
        return workload;
    }

    public void setWorkload(WorkloadSpec workload) {
        this.workload = workload;
    }

    public String getToolPrefix() {
        return toolPrefix;
    }

    public void setToolPrefix(String toolPrefix) {
        this.toolPrefix = toolPrefix;
    }

    public ToolFilterSpec getToolFilter() {
        return toolFilter;
    }

    public void setToolFilter(ToolFilterSpec toolFilter) {
        this.toolFilter = toolFilter;
    }

    public CredentialRefSpec getCredentialRef() {
        return credentialRef;
    }

    public void setCredentialRef(CredentialRefSpec credentialRef) {
        this.credentialRef = credentialRef;
    }

    public Boolean getEnabled() {
        return enabled;
    }

    public void setEnabled(Boolean enabled) {
        this.enabled = enabled;
    }

    public String getProtocolHint() {
        return protocolHint;
    }

    public void setProtocolHint(String protocolHint) {
        this.protocolHint = protocolHint;
    }
}
