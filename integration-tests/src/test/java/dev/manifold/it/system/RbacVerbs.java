package dev.manifold.it.system;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Kubernetes API requests as RBAC sees them, {@code group/resource:verb} (group empty for the core API, the
 * subresource kept: {@code mcp.manifold.dev/mcpservers/status:patch}), and the same form for what a Role or
 * ClusterRole file grants.
 */
final class RbacVerbs {

    /** Granted to the controller but not exercised by the system tier, with the reason each is needed. */
    static final Map<String, String> CONTROLLER_JUSTIFIED = Map.of(
            "/services:create", "JOSDK creates with POST when server-side apply is off (enable-ssa=false)",
            "apps/statefulsets:create", "JOSDK creates with POST when server-side apply is off (enable-ssa=false)",
            "networking.k8s.io/networkpolicies:create", "JOSDK creates with POST when server-side apply is off",
            "/services:delete", "JOSDK deletes a workload's headless Service when its MCPServer stops qualifying",
            "apps/statefulsets:delete", "JOSDK deletes a workload's StatefulSet when its MCPServer stops qualifying",
            "networking.k8s.io/networkpolicies:delete", "JOSDK deletes a workload's NetworkPolicy when its MCPServer"
                    + " stops qualifying");

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private RbacVerbs() {
    }

    /**
     * The RBAC form of one request, or empty for what needs no grant here (discovery, version, and the
     * SelfSubjectRulesReview every authenticated user may create).
     */
    static Optional<String> of(String method, String pathAndQuery) {
        String path = pathAndQuery;
        String query = "";
        int q = path.indexOf('?');
        if (q >= 0) {
            query = path.substring(q + 1);
            path = path.substring(0, q);
        }
        String[] parts = path.replaceAll("^/+", "").split("/");
        int i;
        String group;
        if (parts[0].equals("api") && parts.length >= 2) {
            group = "";
            i = 2;
        } else if (parts[0].equals("apis") && parts.length >= 3) {
            group = parts[1];
            i = 3;
        } else {
            return Optional.empty();
        }
        if (parts.length > i + 1 && parts[i].equals("namespaces")) {
            i += 2;
        }
        if (parts.length <= i) {
            return Optional.empty(); // discovery of a group version, or a namespace itself
        }
        String resource = parts[i];
        boolean named = parts.length > i + 1;
        if (parts.length > i + 2) {
            resource = resource + "/" + parts[i + 2];
        }
        if (resource.equals("selfsubjectrulesreviews") || resource.equals("selfsubjectaccessreviews")) {
            return Optional.empty();
        }
        String verb = switch (method) {
            case "GET" -> named ? "get" : query.contains("watch=true") || query.contains("watch=1") ? "watch" : "list";
            case "POST" -> "create";
            case "PUT" -> "update";
            case "PATCH" -> "patch";
            case "DELETE" -> named ? "delete" : "deletecollection";
            default -> method.toLowerCase();
        };
        return Optional.of(group + "/" + resource + ":" + verb);
    }

    /** Every {@code group/resource:verb} the Roles and ClusterRoles of one manifest file grant. */
    static Set<String> granted(Path rbacFile) throws IOException {
        Set<String> granted = new TreeSet<>();
        try (YAMLParser parser = new YAMLFactory().createParser(rbacFile.toFile())) {
            Iterator<JsonNode> docs = YAML.readValues(parser, JsonNode.class);
            while (docs.hasNext()) {
                JsonNode doc = docs.next();
                String kind = doc.path("kind").asText();
                if (!kind.equals("Role") && !kind.equals("ClusterRole")) {
                    continue;
                }
                for (JsonNode rule : doc.path("rules")) {
                    for (JsonNode group : rule.path("apiGroups")) {
                        for (JsonNode resource : rule.path("resources")) {
                            for (JsonNode verb : rule.path("verbs")) {
                                granted.add(group.asText() + "/" + resource.asText() + ":" + verb.asText());
                            }
                        }
                    }
                }
            }
        }
        return granted;
    }
}
