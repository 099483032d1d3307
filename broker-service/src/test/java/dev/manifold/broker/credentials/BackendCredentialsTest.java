package dev.manifold.broker.credentials;

import dev.manifold.contracts.CredentialRef;
import dev.manifold.contracts.ServerEntry;
import dev.manifold.contracts.Workload;
import dev.manifold.contracts.nativeguard.NativeImageGuards;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which credential goes to which URL, read from files and variables (standalone mode). */
class BackendCredentialsTest {
    private static final String A = "http://127.0.0.1:1/a/mcp";
    private static final String B = "http://127.0.0.1:1/b/mcp";

    @TempDir
    Path dir;

    private final BackendCredentials credentials = new BackendCredentials(() -> {
        throw new AssertionError("standalone mode never asks for a Kubernetes client");
    }, true);

    private static ServerEntry entry(String id, String url, CredentialRef ref) {
        return new ServerEntry(id, id, url, true, null, ref, null, null);
    }

    private Path file(String name, String content) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, content);
        return f;
    }

    @Test
    void aFileCredentialGoesToItsOwnUrlOnlyAsABearerTokenWithoutItsTrailingNewline() throws IOException {
        Path token = file("a-token", "s3cret-a\n");
        credentials.useStandalone(Map.of("a", new CredentialSource.File(token.toString(), null)));
        credentials.configure(List.of(entry("a", A, null), entry("b", B, null)));

        Resolution a = credentials.resolve(A);
        Resolution.Ready ready = assertInstanceOf(Resolution.Ready.class, a);
        assertEquals("Authorization", ready.credential().header());
        assertEquals("Bearer s3cret-a", ready.credential().value());
        assertEquals("file " + token, ready.source());
        assertFalse(ready.credential().toString().contains("s3cret"), ready.credential().toString());
        assertInstanceOf(Resolution.None.class, credentials.resolve(B));
        assertInstanceOf(Resolution.None.class, credentials.resolve("http://127.0.0.1:1/other/mcp"));
    }

    @Test
    void aConfiguredHeaderCarriesTheValueAsItIs() throws IOException {
        Path token = file("key", "k-123");
        credentials.useStandalone(Map.of("a", new CredentialSource.File(token.toString(), "X-Api-Key")));
        credentials.configure(List.of(entry("a", A, null)));

        Resolution.Ready ready = assertInstanceOf(Resolution.Ready.class, credentials.resolve(A));
        assertEquals("X-Api-Key", ready.credential().header());
        assertEquals("k-123", ready.credential().value());
    }

    @Test
    void aRotatedFileIsSentWithoutAnyReload() throws IOException {
        Path token = file("a-token", "first");
        credentials.useStandalone(Map.of("a", new CredentialSource.File(token.toString(), null)));
        credentials.configure(List.of(entry("a", A, null)));
        assertEquals("Bearer first", ((Resolution.Ready) credentials.resolve(A)).credential().value());

        Files.writeString(token, "second");
        await().atMost(Duration.ofSeconds(10)).until(() -> credentials.resolve(A) instanceof Resolution.Ready r
                && r.credential().value().equals("Bearer second"));
    }

    @Test
    void anUnreadableCredentialIsReportedWithoutItsValueAndNothingIsSent() throws IOException {
        Path injected = file("injected", "abc\r\nX-Evil: 1");
        credentials.useStandalone(Map.of(
                "a", new CredentialSource.File(dir.resolve("absent").toString(), null),
                "b", new CredentialSource.File(injected.toString(), null),
                "c", new CredentialSource.EnvVar("MANIFOLD_TEST_SURELY_UNSET_VARIABLE", null)));
        String c = "http://127.0.0.1:1/c/mcp";
        credentials.configure(List.of(entry("a", A, null), entry("b", B, null), entry("c", c, null)));

        assertTrue(((Resolution.Missing) credentials.resolve(A)).reason().contains("cannot be read (NoSuchFileException)"));
        String control = ((Resolution.Missing) credentials.resolve(B)).reason();
        assertTrue(control.contains("holds a control character"), control);
        assertFalse(control.contains("abc") || control.contains("Evil"), control);
        assertTrue(((Resolution.Missing) credentials.resolve(c)).reason()
                .contains("environment variable MANIFOLD_TEST_SURELY_UNSET_VARIABLE is not set"));
    }

    @Test
    void anEnvironmentVariableIsRead() {
        String name = System.getenv().keySet().stream().filter(k -> k.matches("[A-Za-z_][A-Za-z0-9_]*")
                && !System.getenv(k).isEmpty() && System.getenv(k).chars().allMatch(ch -> ch >= 0x20 && ch != 0x7f))
                .findFirst().orElseThrow();
        credentials.useStandalone(Map.of("a", new CredentialSource.EnvVar(name, "X-Token")));
        credentials.configure(List.of(entry("a", A, null)));
        assertEquals(System.getenv(name), ((Resolution.Ready) credentials.resolve(A)).credential().value());
    }

    @Test
    void twoServersAtOneUrlWithDifferentCredentialsGetNeither() throws IOException {
        credentials.useStandalone(Map.of(
                "a", new CredentialSource.File(file("one", "1").toString(), null),
                "a2", new CredentialSource.File(file("two", "2").toString(), null)));
        credentials.configure(List.of(entry("a", A, null), entry("a2", A, null)));

        String reason = ((Resolution.Missing) credentials.resolve(A)).reason();
        assertTrue(reason.contains("[a, a2] share the URL " + A), reason);
    }

    @Test
    void aSecretReferenceInStandaloneModeSaysWhatToUseInstead() {
        credentials.configure(List.of(entry("a", A, new CredentialRef("team", "tokens", "a"))));
        String reason = ((Resolution.Missing) credentials.resolve(A)).reason();
        assertTrue(reason.contains("Secret team/tokens key a is a Kubernetes Secret, and the broker runs standalone"), reason);
        assertTrue(reason.contains("credential: {env: NAME} or {file: PATH}"), reason);
    }

    @Test
    void aWorkloadServersCredentialIsNeverSentToTheProxyRunner() {
        BackendCredentials cluster = new BackendCredentials(() -> {
            throw new AssertionError("no Secret is watched for a workload server");
        }, false);
        ServerEntry workload = new ServerEntry("team/wl", "wl", "http://proxy-runner:8080/team/wl/mcp", true, null,
                new CredentialRef("team", "tokens", "wl"), null, new Workload("wl", "wl-headless", "team", 8080, "/mcp", 2));
        cluster.configure(List.of(workload));
        assertInstanceOf(Resolution.None.class, cluster.resolve(workload.url()));
    }

    @Test
    void aReplacedStandaloneCredentialNamesTheServersToRetry() throws IOException {
        List<Set<String>> changed = new ArrayList<>();
        credentials.onChanged(changed::add);
        credentials.useStandalone(Map.of("a", new CredentialSource.File(file("one", "1").toString(), null)));
        credentials.useStandalone(Map.of("a", new CredentialSource.File(file("one", "1").toString(), null),
                "b", new CredentialSource.EnvVar("HOME", null)));
        credentials.useStandalone(Map.of("b", new CredentialSource.EnvVar("HOME", null)));
        assertEquals(List.of(Set.of("a"), Set.of("b"), Set.of("a")), changed);
    }

    @Test
    void theReadCacheClassesAreRegisteredForTheNativeImage() {
        NativeImageGuards.assertCacheRegistered(CredentialsReflection.class, credentials.cacheForNativeCheck());
    }
}
