package dev.manifold.proxy.route;

import dev.manifold.contracts.ConfigValidationException;
import dev.manifold.contracts.ServerEntry;
import io.quarkus.runtime.annotations.RegisterForReflection;

import java.net.URI;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The standalone routes file ({@code manifold.proxy.routes-file}):
 * <pre>
 * routes:
 *   - server: demo/echo
 *     pods:
 *       - { name: echo-0, url: "http://echo-0.echo-headless.demo.svc.cluster.local:3001/mcp" }
 * </pre>
 * Each record validates itself so a bad file fails with the field path and line.
 */
@RegisterForReflection
public record RoutesFile(List<RouteSpec> routes) {

    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

    public RoutesFile {
        if (routes == null) {
            throw new ConfigValidationException("routes", "must be a list (may be empty)");
        }
        routes = List.copyOf(routes);
    }

    /** One routed server. */
    @RegisterForReflection
    public record RouteSpec(String server, List<PodSpec> pods) {
        public RouteSpec {
            if (server == null || server.isBlank()) {
                throw new ConfigValidationException("server", "must be set to namespace/name");
            }
            String[] parts = server.split("/", -1);
            if (parts.length != 2 || !DNS_LABEL.matcher(parts[0]).matches() || !DNS_LABEL.matcher(parts[1]).matches()) {
                throw new ConfigValidationException("server",
                        "'" + server + "' must be namespace/name, each a lowercase DNS label");
            }
            if (pods == null) {
                throw new ConfigValidationException("pods", "must be a list of {name, url}");
            }
            pods = List.copyOf(pods);
        }
    }

    /** One pod of a route. */
    @RegisterForReflection
    public record PodSpec(String name, String url) {
        public PodSpec {
            if (name == null || name.isBlank()) {
                throw new ConfigValidationException("name", "must be set to the pod name");
            }
            if (url == null || url.isBlank()) {
                throw new ConfigValidationException("url", "must be set");
            }
            ServerEntry.checkUrl(url);
        }

        public PodTarget target() {
            return new PodTarget(name, URI.create(url));
        }
    }
}
