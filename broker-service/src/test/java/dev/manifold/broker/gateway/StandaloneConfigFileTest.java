package dev.manifold.broker.gateway;

import dev.manifold.contracts.ConfigValidationException;
import dev.manifold.contracts.GatewayConfig;
import dev.manifold.contracts.PrefixMode;
import dev.manifold.contracts.ServerEntry;
import dev.manifold.contracts.TokenExchange;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StandaloneConfigFileTest {

    private static GatewayConfig parse(String yaml) {
        return StandaloneConfigFile.parse(yaml.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void theDocumentedExampleParses() {
        GatewayConfig config = parse("""
                prefixMode: conditional
                servers:
                  - name: weather
                    url: http://127.0.0.1:3001/mcp
                    toolPrefix: weather_
                    enabled: true
                    toolFilter: { include: ["get_*"], exclude: ["get_secret"] }
                """);
        assertEquals(PrefixMode.CONDITIONAL, config.prefixMode());
        assertEquals("weather", config.servers().get(0).id());
        assertTrue(config.servers().get(0).effectiveFilter().allows("get_forecast"));
        assertTrue(config.version().startsWith("sha256:"));
    }

    @Test
    void anUnknownFieldIsRejectedWithItsPathAndLine() {
        ConfigValidationException e = assertThrows(ConfigValidationException.class, () -> parse("""
                servers:
                  - name: a
                    url: http://a/mcp
                  - name: b
                    url: http://b/mcp
                    toolPrefx: b_
                """));
        assertEquals("servers[1].toolPrefx", e.field());
        assertTrue(e.getMessage().contains("unknown field 'toolPrefx'"), e.getMessage());
        assertTrue(e.getMessage().contains("line 6"), e.getMessage());
    }

    @Test
    void duplicateNamesAndBadValuesAreRejected() {
        assertTrue(assertThrows(ConfigValidationException.class, () -> parse("""
                servers:
                  - { name: a, url: "http://a/mcp" }
                  - { name: a, url: "http://b/mcp" }
                """)).getMessage().contains("duplicate name 'a'"));
        ConfigValidationException missingName = assertThrows(ConfigValidationException.class, () -> parse("""
                servers:
                  - url: http://a/mcp
                """));
        assertEquals("servers[0].name", missingName.field());
        ConfigValidationException badUrl = assertThrows(ConfigValidationException.class, () -> parse("""
                servers:
                  - { name: a, url: "not a url" }
                """));
        assertEquals("servers[0].url", badUrl.field());
        assertTrue(assertThrows(ConfigValidationException.class, () -> parse("prefixMode: sometimes\n"))
                .getMessage().contains("prefixMode"));
        assertThrows(ConfigValidationException.class, () -> parse("servers: [unclosed\n"));
        assertThrows(ConfigValidationException.class, () -> parse(""));
    }

    @Test
    void serversWithNothingAfterItIsAnErrorNamingTheFieldAndLine() {
        ConfigValidationException e = assertThrows(ConfigValidationException.class, () -> parse("""
                prefixMode: always
                servers:
                """));
        assertEquals("servers", e.field());
        assertTrue(e.getMessage().contains("servers: []"), e.getMessage());
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
    }

    @Test
    void aFileCutShortBeforeItsServerListIsAnError() {
        for (String cut : new String[]{"", "  \n\n", "# only a comment\n", "prefixMode: always\n"}) {
            ConfigValidationException e = assertThrows(ConfigValidationException.class, () -> parse(cut), cut);
            assertEquals("servers", e.field(), cut);
            assertTrue(e.getMessage().contains("servers: []"), e.getMessage());
        }
    }

    @Test
    void anEmptyServerListIsAValidConfig() {
        assertEquals(0, parse("servers: []\n").servers().size());
    }

    @Test
    void aDuplicateNameNamesBothEntriesAndTheirLines() {
        ConfigValidationException e = assertThrows(ConfigValidationException.class, () -> parse("""
                servers:
                  - name: weather
                    url: http://a/mcp
                    toolPrefix: a_
                  - name: weather
                    url: http://b/mcp
                    toolPrefix: b_
                """));
        assertEquals("servers[1].name", e.field());
        assertTrue(e.getMessage().contains("servers[0] (line 2) and servers[1] (line 5)"), e.getMessage());
    }

    @Test
    void twoServersWithOnePrefixAreRejectedNamingBothLikeTheControllerDoes() {
        ConfigValidationException e = assertThrows(ConfigValidationException.class, () -> parse("""
                prefixMode: always
                servers:
                  - name: alpha
                    url: http://a/mcp
                    toolPrefix: shared_
                  - name: beta
                    url: http://b/mcp
                    toolPrefix: shared_
                """));
        assertEquals("servers[1].toolPrefix", e.field());
        assertTrue(e.getMessage().contains("'shared_' is already the prefix of server 'alpha' (line 5)"), e.getMessage());
        assertTrue(e.getMessage().contains("server 'beta' (line 8)"), e.getMessage());
        // With prefixMode never, prefixes are not used, so sharing one is harmless.
        assertEquals(2, parse("""
                prefixMode: never
                servers:
                  - { name: alpha, url: "http://a/mcp", toolPrefix: shared_ }
                  - { name: beta, url: "http://b/mcp", toolPrefix: shared_ }
                """).servers().size());
    }

    @Test
    void aYamlIndentationErrorIsOneLineWithLineAndColumn() {
        ConfigValidationException e = assertThrows(ConfigValidationException.class, () -> parse("""
                servers:
                  - name: alpha
                    url: http://a/mcp
                   toolPrefix: a_
                """));
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        assertTrue(e.getMessage().matches(".*expected <block end>.*\\(line 4, column \\d+\\)"), e.getMessage());
    }

    @Test
    void aCredentialNamesAVariableOrAFileAndStaysOutOfThePublishedConfig() {
        StandaloneConfigFile.Parsed parsed = StandaloneConfigFile.read("""
                servers:
                  - name: weather
                    url: http://127.0.0.1:3001/mcp
                    credential: { env: WEATHER_TOKEN }
                  - name: search
                    url: http://127.0.0.1:3002/mcp
                    credential: { file: /run/secrets/search, header: X-Api-Key }
                  - name: open
                    url: http://127.0.0.1:3003/mcp
                """.getBytes(StandardCharsets.UTF_8));
        assertEquals(java.util.Map.of(
                "weather", new dev.manifold.broker.credentials.CredentialSource.EnvVar("WEATHER_TOKEN", null),
                "search", new dev.manifold.broker.credentials.CredentialSource.File("/run/secrets/search", "X-Api-Key")),
                parsed.credentials());
        assertEquals(parse("""
                servers:
                  - name: weather
                    url: http://127.0.0.1:3001/mcp
                  - name: search
                    url: http://127.0.0.1:3002/mcp
                  - name: open
                    url: http://127.0.0.1:3003/mcp
                """).version(), parsed.config().version(), "where a credential comes from is not part of the config");
    }

    @Test
    void aBadCredentialIsRejectedWithItsField() {
        String[][] cases = {
                {"credential: { env: A, file: /x }", "must name exactly one of env and file"},
                {"credential: {}", "must name exactly one of env and file"},
                {"credential: { env: 'not a name' }", "is not an environment variable name"},
                {"credential: { env: A, header: Content-Length }", "is set by the broker itself"},
                {"credential: { env: A, header: 'Bad Header' }", "is not an HTTP header name"},
                {"credential: { env: A }\n    credentialRef: { name: s, key: k }", "and credentialRef are both set"},
        };
        for (String[] c : cases) {
            ConfigValidationException e = assertThrows(ConfigValidationException.class, () -> parse("""
                    servers:
                      - name: weather
                        url: http://127.0.0.1:3001/mcp
                        %s
                    """.formatted(c[0])), c[0]);
            assertTrue(e.getMessage().contains(c[1]) && e.getMessage().contains("credential"), c[0] + " -> " + e.getMessage());
        }
    }

    @Test
    void authPassthroughAndATokenExchangeAreReadPerServer() {
        GatewayConfig config = parse("""
                servers:
                  - name: weather
                    url: http://127.0.0.1:3001/mcp
                    authPassthrough: true
                  - name: search
                    url: http://127.0.0.1:3002/mcp
                    tokenExchange:
                      tokenEndpoint: https://idp.example/oauth2/token
                      audience: api://search
                      scopes: [search.write, openid, search.write]
                  - name: open
                    url: http://127.0.0.1:3003/mcp
                """);
        ServerEntry weather = config.server("weather").orElseThrow();
        assertEquals(Boolean.TRUE, weather.authPassthrough());
        assertNull(weather.tokenExchange());
        ServerEntry search = config.server("search").orElseThrow();
        assertNull(search.authPassthrough());
        assertEquals(new TokenExchange("https://idp.example/oauth2/token", "api://search",
                List.of("openid", "search.write")), search.tokenExchange());
        assertEquals(List.of("openid", "search.write"), search.tokenExchange().scopes(), "sorted, each once");
        assertFalse(config.server("open").orElseThrow().usesClientToken());

        assertEquals(parse("servers: [{ name: open, url: \"http://127.0.0.1:3003/mcp\" }]\n").version(),
                parse("servers: [{ name: open, url: \"http://127.0.0.1:3003/mcp\", authPassthrough: false }]\n").version(),
                "authPassthrough: false is the default, written or not");
    }

    @Test
    void passthroughAndATokenExchangeOnOneServerAreRejectedNamingTheEntry() {
        ConfigValidationException e = assertThrows(ConfigValidationException.class, () -> parse("""
                servers:
                  - name: weather
                    url: http://127.0.0.1:3001/mcp
                    authPassthrough: true
                    tokenExchange: { tokenEndpoint: "https://idp.example/oauth2/token" }
                """));
        assertEquals("servers[0].authPassthrough", e.field());
        assertTrue(e.getMessage().startsWith("servers[0].authPassthrough: cannot be combined with tokenExchange"),
                e.getMessage());
        assertTrue(e.getMessage().endsWith("(server 'weather')"), e.getMessage());
    }

    @Test
    void aTokenExchangeWithABadEndpointIsRejectedWithItsFieldAndLine() {
        ConfigValidationException ftp = assertThrows(ConfigValidationException.class, () -> parse("""
                servers:
                  - name: weather
                    url: http://127.0.0.1:3001/mcp
                    tokenExchange: { tokenEndpoint: "ftp://idp.example/token", scopes: [openid] }
                """));
        assertEquals("servers[0].tokenExchange.tokenEndpoint", ftp.field());
        assertTrue(ftp.getMessage().contains("'ftp://idp.example/token' must be an http or https URL (line 4, column"),
                ftp.getMessage());

        ConfigValidationException empty = assertThrows(ConfigValidationException.class, () -> parse("""
                servers:
                  - name: weather
                    url: http://127.0.0.1:3001/mcp
                    tokenExchange:
                """));
        assertEquals("servers[0].tokenExchange", empty.field());
        assertTrue(empty.getMessage().contains("must name a tokenEndpoint (line 4, column"), empty.getMessage());

        ConfigValidationException badScope = assertThrows(ConfigValidationException.class, () -> parse("""
                servers:
                  - name: weather
                    url: http://127.0.0.1:3001/mcp
                    tokenExchange: { tokenEndpoint: "https://idp.example/token", scopes: ["tools read"] }
                """));
        assertEquals("servers[0].tokenExchange.scopes", badScope.field());
        assertTrue(badScope.getMessage().contains("'tools read' is not an OAuth scope"), badScope.getMessage());
    }
}
