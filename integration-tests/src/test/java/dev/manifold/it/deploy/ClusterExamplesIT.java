package dev.manifold.it.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import dev.manifold.it.support.ItEnvironment;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every MCPServer in examples/cluster/ is valid against the CRD's openAPIV3Schema in deploy/crds (fields the schema
 * knows, required fields, patterns, minimums, types), and the examples cover each target kind: url, HTTPRoute,
 * Service, a workload with replicas, a credentialRef and tool filters. What an API server would reject, a user
 * following the examples must never meet.
 */
class ClusterExamplesIT {

    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @Test
    void everyExampleIsValidAgainstTheCrdAndEachTargetKindHasOne() throws IOException {
        Path root = ItEnvironment.repoRoot();
        JsonNode crd = YAML.readTree(root.resolve("deploy/crds/mcpservers.mcp.manifold.dev-v1.yml").toFile());
        JsonNode schema = crd.at("/spec/versions/0/schema/openAPIV3Schema");
        assertTrue(schema.isObject(), "no schema in the CRD");
        Set<String> covered = new TreeSet<>();
        List<Path> files;
        try (Stream<Path> list = Files.list(root.resolve("examples/cluster"))) {
            files = list.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
        for (Path file : files) {
            for (JsonNode doc : documents(file)) {
                if (!"MCPServer".equals(doc.path("kind").asText())) {
                    continue;
                }
                String what = file.getFileName() + ": " + doc.at("/metadata/name").asText();
                assertEquals("mcp.manifold.dev/v1alpha1", doc.path("apiVersion").asText(), what);
                ObjectNode body = ((ObjectNode) doc.deepCopy());
                body.remove(List.of("apiVersion", "kind", "metadata"));
                List<String> problems = new ArrayList<>();
                validate(body, schema, "", problems);
                assertTrue(problems.isEmpty(), what + ": " + problems);
                JsonNode spec = doc.path("spec");
                if (spec.has("url")) {
                    covered.add("url");
                }
                if (spec.has("targetRef")) {
                    covered.add(spec.at("/targetRef/kind").asText());
                }
                if (spec.at("/workload/replicas").asInt(1) > 1) {
                    covered.add("workload-replicas");
                }
                if (spec.has("credentialRef")) {
                    covered.add("credentialRef");
                }
                if (spec.has("toolFilter")) {
                    covered.add("toolFilter");
                }
                if (spec.path("authPassthrough").asBoolean(false)) {
                    covered.add("authPassthrough");
                }
                if (spec.has("tokenExchange")) {
                    covered.add("tokenExchange");
                }
            }
        }
        assertEquals(new TreeSet<>(Set.of("url", "HTTPRoute", "Service", "workload-replicas", "credentialRef",
                "toolFilter", "authPassthrough", "tokenExchange")), covered, "examples/cluster must show each target kind and option");
    }

    private static List<JsonNode> documents(Path file) throws IOException {
        List<JsonNode> docs = new ArrayList<>();
        try (YAMLParser parser = new YAMLFactory().createParser(file.toFile())) {
            Iterator<JsonNode> it = YAML.readValues(parser, JsonNode.class);
            while (it.hasNext()) {
                JsonNode doc = it.next();
                if (doc != null && !doc.isNull() && !doc.isMissingNode()) {
                    docs.add(doc);
                }
            }
        }
        return docs;
    }

    /** The structural subset of OpenAPI v3 the CRD uses. */
    static void validate(JsonNode value, JsonNode schema, String path, List<String> problems) {
        String type = schema.path("type").asText("");
        switch (type) {
            case "object" -> {
                if (!value.isObject()) {
                    problems.add(path + ": expected an object");
                    return;
                }
                JsonNode props = schema.path("properties");
                boolean open = schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false)
                        || schema.has("additionalProperties");
                schema.path("required").forEach(r -> {
                    if (!value.has(r.asText())) {
                        problems.add(path + ": missing required " + r.asText());
                    }
                });
                for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> field = it.next();
                    JsonNode sub = props.get(field.getKey());
                    if (sub != null) {
                        validate(field.getValue(), sub, path + "." + field.getKey(), problems);
                    } else if (schema.path("additionalProperties").isObject()) {
                        validate(field.getValue(), schema.path("additionalProperties"), path + "." + field.getKey(), problems);
                    } else if (!open) {
                        problems.add(path + ": unknown field " + field.getKey());
                    }
                }
            }
            case "array" -> {
                if (!value.isArray()) {
                    problems.add(path + ": expected an array");
                    return;
                }
                int i = 0;
                for (JsonNode item : value) {
                    validate(item, schema.path("items"), path + "[" + i++ + "]", problems);
                }
            }
            case "string" -> {
                if (!value.isTextual()) {
                    problems.add(path + ": expected a string");
                } else if (schema.has("pattern") && !value.asText().matches(".*(" + schema.path("pattern").asText() + ").*")) {
                    problems.add(path + ": '" + value.asText() + "' does not match " + schema.path("pattern").asText());
                }
            }
            case "integer" -> {
                if (!value.isIntegralNumber()) {
                    problems.add(path + ": expected an integer");
                } else if (schema.has("minimum") && value.asLong() < schema.path("minimum").asLong()) {
                    problems.add(path + ": below the minimum " + schema.path("minimum").asLong());
                }
            }
            case "boolean" -> {
                if (!value.isBoolean()) {
                    problems.add(path + ": expected a boolean");
                }
            }
            default -> {
                // untyped (int-or-string, preserve-unknown-fields): nothing to check structurally
            }
        }
    }
}
