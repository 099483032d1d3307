package dev.manifold.contracts;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The credential reference the controller publishes and the broker reads, with its optional header. */
class CredentialRefTest {

    private static GatewayConfig config(CredentialRef ref) {
        return GatewayConfigCodec.build(PrefixMode.ALWAYS, List.of(
                new ServerEntry("team/weather", "weather_", "https://weather.example/mcp", true, null, ref, null, null)));
    }

    @Test
    void theHeaderSurvivesPublishingAndAReferenceWithoutOneIsPublishedAsBefore() {
        GatewayConfig withHeader = config(new CredentialRef("team", "tokens", "weather", "X-Api-Key"));
        GatewayConfig read = GatewayConfigCodec.parse(GatewayConfigCodec.toJson(withHeader));
        assertEquals("X-Api-Key", read.servers().get(0).credentialRef().header());
        assertEquals(withHeader.version(), read.version());

        GatewayConfig plain = config(new CredentialRef("team", "tokens", "weather"));
        String json = new String(GatewayConfigCodec.toJson(plain), StandardCharsets.UTF_8);
        assertFalse(json.contains("header"), json);
        assertEquals(plain.version(), config(new CredentialRef("team", "tokens", "weather", " ")).version(),
                "a blank header is no header");
        assertNotEquals(plain.version(), withHeader.version(), "the header is part of what the broker connects");
    }

    @Test
    void aHeaderMustBeANameTheBrokerDoesNotSetItself() {
        for (String bad : List.of("X Api Key", "X-Api-Key:", "Content-Length", "mcp-session-id", "Host", "a".repeat(65))) {
            ConfigValidationException e = assertThrows(ConfigValidationException.class,
                    () -> new CredentialRef("team", "tokens", "weather", bad), bad);
            assertTrue(e.getMessage().startsWith("credentialRef.header: "), e.getMessage());
        }
        assertEquals("Authorization", new CredentialRef("team", "tokens", "weather", "Authorization").header());
    }
}
