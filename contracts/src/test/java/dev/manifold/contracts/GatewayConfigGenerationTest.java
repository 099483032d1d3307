package dev.manifold.contracts;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * "Newer, not just different": the generation a config was published with decides whether a consumer applies it;
 * the content hash ({@code version}) still decides whether there is anything to apply.
 */
class GatewayConfigGenerationTest {

    private static final ServerEntry A = new ServerEntry("a", "a_", "http://a/mcp", true, null, null, null, null);
    private static final ServerEntry B = new ServerEntry("b", "b_", "http://b/mcp", true, null, null, null, null);

    private static GatewayConfig config(long generation, ServerEntry... servers) {
        return GatewayConfigCodec.build(PrefixMode.ALWAYS, List.of(servers)).withGeneration(generation);
    }

    @Test
    void theGenerationIsNotPartOfTheVersionAndSurvivesARoundTrip() {
        GatewayConfig first = config(100, A);
        GatewayConfig later = config(200, A);
        assertEquals(first.version(), later.version(), "same content, same version, whenever it was published");
        GatewayConfig read = GatewayConfigCodec.parse(GatewayConfigCodec.toJson(later));
        assertEquals(200, read.generation());
        assertEquals(later, read);
    }

    @Test
    void aDocumentWithoutAGenerationReadsAsUnknownAndIsWrittenWithoutOne() {
        GatewayConfig local = config(0, A);
        String json = new String(GatewayConfigCodec.toJson(local), StandardCharsets.UTF_8);
        assertFalse(json.contains("generation"), json);
        assertEquals(0, GatewayConfigCodec.parse(json.getBytes(StandardCharsets.UTF_8)).generation());
    }

    @Test
    void aNegativeGenerationIsRejectedNamingTheField() {
        String json = new String(GatewayConfigCodec.toJson(config(0, A)), StandardCharsets.UTF_8)
                .replace("{\"prefixMode\"", "{\"generation\":-1,\"prefixMode\"");
        ConfigValidationException e = assertThrows(ConfigValidationException.class,
                () -> GatewayConfigCodec.parse(json.getBytes(StandardCharsets.UTF_8)));
        assertEquals("generation", e.field(), e.getMessage());
    }

    @Test
    void onlyANewerGenerationSupersedesTheAppliedConfig() {
        GatewayConfig applied = config(200, A);
        assertTrue(config(300, A, B).supersedes(applied), "newer and different");
        assertFalse(config(100, A, B).supersedes(applied), "older and different: a stale copy, never a rollback");
        assertFalse(config(200, A, B).supersedes(applied), "the same generation with other content is not newer");
        assertFalse(config(300, A).supersedes(applied), "newer but the same content: nothing to apply");
        assertTrue(config(1, A).supersedes(null), "anything supersedes nothing");
    }

    @Test
    void anUnknownGenerationOnEitherSideFallsBackToDifferent() {
        assertTrue(config(0, A, B).supersedes(config(200, A)));
        assertTrue(config(200, A, B).supersedes(config(0, A)));
        assertFalse(config(0, A).supersedes(config(0, A)));
        assertFalse(config(0, A, B).newerThan(config(200, A)), "unknown is never newer beyond doubt");
        assertTrue(config(300, A, B).newerThan(config(200, A)));
    }

    @Test
    void nextGenerationRisesPastEverythingSeenAndPastTheClock() {
        assertEquals(1_000, GatewayConfig.nextGeneration(0, 1_000), "after a total loss, the wall clock");
        assertEquals(5_001, GatewayConfig.nextGeneration(5_000, 1_000), "a clock behind the stored generation");
        assertEquals(7_000, GatewayConfig.nextGeneration(5_000, 7_000));
    }
}
