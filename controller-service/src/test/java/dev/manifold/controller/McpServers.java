package dev.manifold.controller;

import dev.manifold.controller.api.v1alpha1.CredentialRefSpec;
import dev.manifold.controller.api.v1alpha1.MCPServer;
import dev.manifold.controller.api.v1alpha1.MCPServerSpec;
import dev.manifold.controller.api.v1alpha1.TargetRef;
import dev.manifold.controller.api.v1alpha1.WorkloadSpec;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;

/**
 * Builds the MCPServers the tests apply, one target kind each:
 * {@code McpServers.named("ns", "fetch").prefix("fetch_").url("http://fetch.example/mcp").build()}.
 */
public final class McpServers {
    private final String namespace;
    private final String name;
    private final MCPServerSpec spec = new MCPServerSpec();

    private McpServers(String namespace, String name) {
        this.namespace = namespace;
        this.name = name;
    }

    public static McpServers named(String namespace, String name) {
        return new McpServers(namespace, name);
    }

    public McpServers prefix(String toolPrefix) {
        spec.setToolPrefix(toolPrefix);
        return this;
    }

    /** Target: an MCP endpoint URL. */
    public McpServers url(String url) {
        spec.setUrl(url);
        return this;
    }

    /** Target: a Gateway API HTTPRoute in the server's namespace. */
    public McpServers route(String httpRoute) {
        TargetRef ref = new TargetRef();
        ref.setGroup("gateway.networking.k8s.io");
        ref.setKind(TargetRef.HTTP_ROUTE);
        ref.setName(httpRoute);
        spec.setTargetRef(ref);
        return this;
    }

    /** Target: a core Service in the server's namespace. */
    public McpServers service(String service) {
        TargetRef ref = new TargetRef();
        ref.setKind(TargetRef.SERVICE);
        ref.setName(service);
        spec.setTargetRef(ref);
        return this;
    }

    /** Target: a workload the controller runs from this image. */
    public McpServers workload(String image) {
        WorkloadSpec workload = new WorkloadSpec();
        workload.setImage(image);
        spec.setWorkload(workload);
        return this;
    }

    /** {@code spec.credentialRef}: a key of a Secret in the server's namespace, sent in {@code header} (null: Authorization). */
    public McpServers credential(String secret, String key, String header) {
        CredentialRefSpec ref = new CredentialRefSpec();
        ref.setName(secret);
        ref.setKey(key);
        ref.setHeader(header);
        spec.setCredentialRef(ref);
        return this;
    }

    /** {@code spec.authPassthrough: true}. */
    public McpServers authPassthrough() {
        spec.setAuthPassthrough(true);
        return this;
    }

    /** {@code spec.tokenExchange} at {@code endpoint}, asking for {@code audience} (null: the URL) and {@code scopes}. */
    public McpServers tokenExchange(String endpoint, String audience, String... scopes) {
        dev.manifold.controller.api.v1alpha1.TokenExchangeSpec exchange = new dev.manifold.controller.api.v1alpha1.TokenExchangeSpec();
        exchange.setTokenEndpoint(endpoint);
        exchange.setAudience(audience);
        exchange.setScopes(scopes.length == 0 ? null : java.util.List.of(scopes));
        spec.setTokenExchange(exchange);
        return this;
    }

    /** {@code spec.enabled: false}. */
    public McpServers disabled() {
        spec.setEnabled(false);
        return this;
    }

    public MCPServer build() {
        MCPServer server = new MCPServer();
        server.setMetadata(new ObjectMetaBuilder().withNamespace(namespace).withName(name).build());
        server.setSpec(spec);
        return server;
    }
}
