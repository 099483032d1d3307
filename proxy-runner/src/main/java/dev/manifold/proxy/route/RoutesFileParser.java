package dev.manifold.proxy.route;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.manifold.contracts.ConfigValidationException;
import dev.manifold.contracts.GatewayConfigCodec;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns the routes file into routes, or a {@link ConfigValidationException} naming the field path and line.
 * Pure: never reads the file itself and never touches the live routes.
 */
public final class RoutesFileParser {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    private RoutesFileParser() {
    }

    public static Map<String, Route> parse(byte[] yaml) {
        if (yaml.length == 0 || new String(yaml, java.nio.charset.StandardCharsets.UTF_8).isBlank()) {
            throw new ConfigValidationException("routes", "the file is empty; write 'routes: []' for no routes");
        }
        RoutesFile file = GatewayConfigCodec.read(YAML, yaml, RoutesFile.class);
        if (file == null) {
            throw new ConfigValidationException("routes", "the file is empty; write 'routes: []' for no routes");
        }
        Map<String, Route> routes = new LinkedHashMap<>();
        List<RoutesFile.RouteSpec> specs = file.routes();
        for (int i = 0; i < specs.size(); i++) {
            RoutesFile.RouteSpec spec = specs.get(i);
            if (routes.containsKey(spec.server())) {
                throw new ConfigValidationException("routes[" + i + "].server",
                        "duplicate server '" + spec.server() + "'");
            }
            Set<String> names = new HashSet<>();
            for (int p = 0; p < spec.pods().size(); p++) {
                if (!names.add(spec.pods().get(p).name())) {
                    throw new ConfigValidationException("routes[" + i + "].pods[" + p + "].name",
                            "duplicate pod '" + spec.pods().get(p).name() + "'");
                }
            }
            routes.put(spec.server(), new Route(spec.server(),
                    spec.pods().stream().map(RoutesFile.PodSpec::target).toList()));
        }
        return routes;
    }
}
