package dev.manifold.controller;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CRD in deploy/crds/ is the one quarkus-operator-sdk generates from the model (the Quarkus build of this
 * test writes it to target/kubernetes/). When it fails, copy the generated file over the committed one.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(UniqueRedisPrefix.class)
class CrdMatchesDeployTest {

    private static final String FILE = "mcpservers.mcp.manifold.dev-v1.yml";

    @Test
    void committedCrdIsTheGeneratedOne() throws IOException {
        Path generated = Path.of("target", "kubernetes", FILE);
        Path committed = Path.of("..", "deploy", "crds", FILE);
        assertTrue(Files.exists(generated), "the Quarkus build did not generate " + generated.toAbsolutePath());
        assertEquals(Files.readString(generated), Files.readString(committed),
                "deploy/crds/" + FILE + " is stale: cp controller-service/" + generated + " deploy/crds/");
    }
}
