package dev.manifold.controller.resolve;

import dev.manifold.controller.api.v1alpha1.MCPServer;
import dev.manifold.controller.api.v1alpha1.TargetRef;
import dev.manifold.controller.config.ControllerConfig;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPBackendRef;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteRule;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.List;

/**
 * Resolves a {@code targetRef} to the URL of a backend: an HTTPRoute through its first backendRef to a
 * Service, a Service to its cluster DNS name. Only reads HTTPRoutes and Services; never writes them.
 */
@ApplicationScoped
public class TargetResolver {

    /** Outcome of a resolution: a URL, or the reason and message for the Accepted condition. */
    public record Resolution(String url, String reason, String message) {
        static Resolution ok(String url) {
            return new Resolution(url, null, null);
        }

        static Resolution failed(String reason, String message) {
            return new Resolution(null, reason, message);
        }

        public boolean resolved() {
            return url != null;
        }
    }

    private final KubernetesClient client;
    private final GatewayApi gatewayApi;
    private final String clusterDomain;

    public TargetResolver(KubernetesClient client, ControllerConfig config, GatewayApi gatewayApi) {
        this.client = client;
        this.gatewayApi = gatewayApi;
        this.clusterDomain = config.clusterDomain();
    }

    public Resolution resolve(MCPServer server) {
        TargetRef ref = server.getSpec().getTargetRef();
        String namespace = ref.getNamespace() == null || ref.getNamespace().isBlank()
                ? server.getMetadata().getNamespace() : ref.getNamespace();
        String path = ref.getPath() == null ? "/mcp" : ref.getPath();
        try {
            if (TargetRef.SERVICE.equals(ref.getKind())) {
                return viaService(namespace, ref.getName(), ref.getPort(), path, "Service " + namespace + "/" + ref.getName());
            }
            return viaRoute(namespace, ref, path);
        } catch (KubernetesClientException e) {
            return Resolution.failed("TargetUnreadable", "cannot read " + ref.getKind() + " " + namespace + "/"
                    + ref.getName() + ": " + e.getMessage());
        }
    }

    private Resolution viaRoute(String namespace, TargetRef ref, String path) {
        if (!gatewayApi.served()) {
            return Resolution.failed(GatewayApi.MISSING_REASON, "HTTPRoute " + namespace + "/" + ref.getName()
                    + " cannot be resolved: this cluster does not serve the Gateway API (gateway.networking.k8s.io/v1"
                    + " HTTPRoute); install its CRDs and restart the controller, or target a Service or a url");
        }
        HTTPRoute route = client.resources(HTTPRoute.class).inNamespace(namespace).withName(ref.getName()).get();
        String what = "HTTPRoute " + namespace + "/" + ref.getName();
        if (route == null) {
            return Resolution.failed("TargetNotFound", what + " does not exist");
        }
        List<HTTPRouteRule> rules = route.getSpec() == null ? null : route.getSpec().getRules();
        if (rules != null) {
            for (HTTPRouteRule rule : rules) {
                if (rule.getBackendRefs() == null) {
                    continue;
                }
                for (HTTPBackendRef backend : rule.getBackendRefs()) {
                    boolean coreService = (backend.getGroup() == null || backend.getGroup().isEmpty())
                            && (backend.getKind() == null || "Service".equals(backend.getKind()));
                    if (!coreService || backend.getName() == null) {
                        continue;
                    }
                    String ns = backend.getNamespace() == null || backend.getNamespace().isBlank()
                            ? namespace : backend.getNamespace();
                    Integer port = ref.getPort() != null ? ref.getPort() : backend.getPort();
                    return viaService(ns, backend.getName(), port, path,
                            what + " backend Service " + ns + "/" + backend.getName());
                }
            }
        }
        return Resolution.failed("TargetHasNoBackend", what + " has no backendRef to a Service");
    }

    private Resolution viaService(String namespace, String name, Integer port, String path, String what) {
        Service service = client.services().inNamespace(namespace).withName(name).get();
        if (service == null) {
            return Resolution.failed("TargetNotFound", what + " does not exist");
        }
        Integer resolvedPort = port;
        if (resolvedPort == null) {
            List<ServicePort> ports = service.getSpec() == null ? null : service.getSpec().getPorts();
            if (ports == null || ports.isEmpty()) {
                return Resolution.failed("TargetHasNoPort", what + " has no port and targetRef.port is not set");
            }
            resolvedPort = ports.get(0).getPort();
        }
        return Resolution.ok("http://" + name + "." + namespace + ".svc." + clusterDomain + ":" + resolvedPort + path);
    }
}
