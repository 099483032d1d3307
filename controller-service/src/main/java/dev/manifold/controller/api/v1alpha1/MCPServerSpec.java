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
@ValidationRule(value = "!(has(self.authPassthrough) && self.authPassthrough && has(self.tokenExchange))",
        message = "authPassthrough and tokenExchange cannot both be set")
@ValidationRule(value = "!has(self.workload) || !(has(self.tokenExchange) || (has(self.authPassthrough) && self.authPassthrough))",
        message = "authPassthrough and tokenExchange are not supported for a workload server")
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

    @JsonPropertyDescription("Forward the caller's own Authorization header with the caller's requests to this server. "
            + "Off by default: a client's token never reaches a server otherwise.")
    private Boolean authPassthrough;

    @JsonPropertyDescription("Exchange the caller's bearer token (RFC 8693) for one meant for this server, sent with the "
            + "caller's requests to it.")
    private TokenExchangeSpec tokenExchange;

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

    public Boolean getAuthPassthrough() {
        return authPassthrough;
    }

    public void setAuthPassthrough(Boolean authPassthrough) {
        this.authPassthrough = authPassthrough;
    }

    public TokenExchangeSpec getTokenExchange() {
        return tokenExchange;
    }

    public void setTokenExchange(TokenExchangeSpec tokenExchange) {
        this.tokenExchange = tokenExchange;
    }
}
