package dev.manifold.broker.rpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.manifold.broker.catalog.Aggregator;
import dev.manifold.broker.catalog.FeatureCatalog;
import dev.manifold.broker.catalog.ToolRoute;
import dev.manifold.broker.upstream.Backend;
import dev.manifold.broker.upstream.BackendState;
import dev.manifold.broker.upstream.BackendSupervisor;
import dev.manifold.contracts.JsonRpcErrors;
import jakarta.enterprise.context.ApplicationScoped;

import java.net.URI;
import java.util.List;

/**
 * Which backend owns a request: by tool or prompt name, by resource URI or template, by completion ref, else the
 * only ready backend. Rewrites the params in place to the names the backend knows.
 */
@ApplicationScoped
public class Routing {
    private final Aggregator aggregator;
    private final BackendSupervisor supervisor;

    public Routing(Aggregator aggregator, BackendSupervisor supervisor) {
        this.aggregator = aggregator;
        this.supervisor = supervisor;
    }

    /** Where a routed request goes, with its params rewritten to the backend's names; or why it cannot go. */
    static final class Target {
        String serverId;
        String error;
        int errorCode;
        /** Whether URIs in the result (contents[].uri) are to be shown namespaced. */
        boolean resultUris;

        static Target to(String serverId) {
            Target t = new Target();
            t.serverId = serverId;
            return t;
        }

        static Target error(int code, String message) {
            Target t = new Target();
            t.errorCode = code;
            t.error = message;
            return t;
        }
    }

    /** Resolves the owner of a request and rewrites params (tool/prompt name, URI, completion ref) in place. */
    Target route(String method, ObjectNode params) {
        FeatureCatalog features = aggregator.features();
        switch (method) {
            case "tools/call" -> {
                JsonNode name = params.get("name");
                if (name == null || !name.isTextual()) {
                    return Target.error(JsonRpcErrors.INVALID_PARAMS, "Invalid params: tools/call needs params.name");
                }
                ToolRoute route = aggregator.catalog().route(name.asText());
                if (route == null) {
                    return Target.error(JsonRpcErrors.INVALID_PARAMS, "Unknown tool: " + name.asText());
                }
                params.put("name", route.originalName());
                return Target.to(route.serverId());
            }
            case "prompts/get" -> {
                JsonNode name = params.get("name");
                if (name == null || !name.isTextual()) {
                    return Target.error(JsonRpcErrors.INVALID_PARAMS, "Invalid params: prompts/get needs params.name");
                }
                FeatureCatalog.Route route = features.prompt(name.asText());
                if (route == null) {
                    return Target.error(JsonRpcErrors.INVALID_PARAMS, "Unknown prompt: " + name.asText());
                }
                params.put("name", route.original());
                return Target.to(route.serverId());
            }
            case "resources/read", "resources/subscribe", "resources/unsubscribe" -> {
                JsonNode uri = params.get("uri");
                if (uri == null || !uri.isTextual()) {
                    return Target.error(JsonRpcErrors.INVALID_PARAMS, "Invalid params: " + method + " needs params.uri");
                }
                FeatureCatalog.Target owner = features.resolveUri(uri.asText());
                if (owner == null) {
                    return Target.error(JsonRpcErrors.RESOURCE_NOT_FOUND, "Resource not found: " + uri.asText());
                }
                params.put("uri", owner.original());
                Target t = Target.to(owner.serverId());
                t.resultUris = "resources/read".equals(method);
                return t;
            }
            case "completion/complete" -> {
                JsonNode ref = params.get("ref");
                if (!(ref instanceof ObjectNode refObject)) {
                    return Target.error(JsonRpcErrors.INVALID_PARAMS, "Invalid params: completion/complete needs params.ref");
                }
                String type = refObject.path("type").asText();
                if ("ref/prompt".equals(type)) {
                    FeatureCatalog.Route route = features.prompt(refObject.path("name").asText(null));
                    if (route == null) {
                        return Target.error(JsonRpcErrors.INVALID_PARAMS, "Unknown prompt: " + refObject.path("name").asText());
                    }
                    refObject.put("name", route.original());
                    return Target.to(route.serverId());
                }
                if ("ref/resource".equals(type)) {
                    String uri = refObject.path("uri").asText(null);
                    FeatureCatalog.Route template = features.template(uri);
                    FeatureCatalog.Target owner = template != null
                            ? new FeatureCatalog.Target(template.serverId(), template.original())
                            : features.resolveUri(uri);
                    if (owner == null) {
                        return Target.error(JsonRpcErrors.INVALID_PARAMS, "Unknown resource template: " + uri);
                    }
                    refObject.put("uri", owner.original());
                    return Target.to(owner.serverId());
                }
                return Target.error(JsonRpcErrors.INVALID_PARAMS, "Invalid params: unknown ref type " + type);
            }
            default -> {
                // An unknown method goes to the owner of what it names, or to the only backend; else nobody owns it.
                String name = params.path("name").asText(null);
                if (name != null) {
                    ToolRoute tool = aggregator.catalog().route(name);
                    if (tool != null) {
                        params.put("name", tool.originalName());
                        return Target.to(tool.serverId());
                    }
                    FeatureCatalog.Route prompt = features.prompt(name);
                    if (prompt != null) {
                        params.put("name", prompt.original());
                        return Target.to(prompt.serverId());
                    }
                }
                String uri = params.path("uri").asText(null);
                if (uri != null) {
                    FeatureCatalog.Target owner = features.resolveUri(uri);
                    if (owner != null) {
                        params.put("uri", owner.original());
                        return Target.to(owner.serverId());
                    }
                }
                List<Backend> ready = supervisor.all().stream()
                        .filter(b -> b.entry().isEnabled() && b.state() == BackendState.READY).toList();
                if (ready.size() == 1) {
                    return Target.to(ready.get(0).id());
                }
                return Target.error(JsonRpcErrors.METHOD_NOT_FOUND, "Method not found: " + method);
            }
        }
    }
}
