package dev.manifold.broker.credentials;

import dev.manifold.broker.testing.McpClient;
import dev.manifold.broker.testing.StandaloneCredentialBackends;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Standalone mode: a server's {@code credential: {file: …, header: X-Api-Key}} is read from the file (relative to
 * the config file), sent to that server only, and a server quarantined because the file was missing recovers once
 * the file is written, with no change to the config file.
 */
@QuarkusTest
@WithTestResource(StandaloneCredentialBackends.class)
class StandaloneCredentialsTest {

    @Test
    void theFilesValueReachesItsServerOnceTheFileExists() throws Exception {
        StandaloneCredentialBackends.keyed.requireCredential("X-Api-Key", "key-4d2e");
        await().atMost(Duration.ofSeconds(20)).until(() -> given().get("/q/health/ready").asString()
                .contains("keyed.key cannot be read (NoSuchFileException)"));
        assertEquals(List.of(), StandaloneCredentialBackends.keyed.credentialsSeen(), "nothing is sent without the file");

        Files.writeString(StandaloneCredentialBackends.keyFile, "key-4d2e\n");
        await().atMost(Duration.ofSeconds(30)).until(() -> McpClient.initialize().toolNames()
                .containsAll(List.of("keyed_echo", "open_echo")));
        assertEquals(200, McpClient.initialize().call("keyed_echo", "with a key").statusCode());
        assertTrue(StandaloneCredentialBackends.keyed.credentialsSeen().stream().allMatch("key-4d2e"::equals));
        assertEquals(List.of(), StandaloneCredentialBackends.open.credentialsSeen());
        assertFalse(given().get("/q/health").asString().contains("key-4d2e"));
    }
}
