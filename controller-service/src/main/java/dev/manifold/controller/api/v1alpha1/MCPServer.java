package dev.manifold.controller.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * An MCP server made available through the Manifold gateway. Its identity is {@code namespace/name}, never
 * its URL: several MCPServers may reach the same backend, each with its own tool prefix.
 */
@Group(MCPServer.GROUP)
@Version(MCPServer.VERSION)
@ShortNames("mcps")
@AdditionalPrinterColumn(name = "PREFIX", jsonPath = ".spec.toolPrefix", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "READY", jsonPath = ".status.conditions[?(@.type==\"Ready\")].status",
        type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "TOOLS", jsonPath = ".status.tools", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "URL", jsonPath = ".status.url", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "AGE", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class MCPServer extends CustomResource<MCPServerSpec, MCPServerStatus> implements Namespaced {

    public static final String GROUP = "mcp.manifold.dev";
    public static final String VERSION = "v1alpha1";

    /** The server's identity in the published config: {@code namespace/name}. */
    public String id() {
        return getMetadata().getNamespace() + "/" + getMetadata().getName();
    }
}
