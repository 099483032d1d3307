package dev.manifold.contracts;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a server gets of a client's token (passthrough or a token exchange), as published, hashed and validated. */
class ClientAuthRulesTest {

    private static final String URL = "https://weather.example/mcp";
    private static final String ENDPOINT = "https://idp.example/oauth2/token";

    private static ServerEntry weather(Boolean passthrough, TokenExchange exchange) {
        return new ServerEntry("team/weather", "weather_", URL, true, null, null, null, null, passthrough, exchange);
    }

    private static GatewayConfig config(ServerEntry... servers) {
        return GatewayConfigCodec.build(PrefixMode.ALWAYS, List.of(servers));
    }

    private static GatewayConfig parse(String json) {
        return GatewayConfigCodec.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    private static String text(GatewayConfig config) {
        return new String(GatewayConfigCodec.toJson(config), StandardCharsets.UTF_8);
    }

    @Test
    void passthroughFalseIsPublishedAndHashedAsIfAbsent() {
        GatewayConfig absent = config(weather(null, null));
        assertEquals(absent.version(), config(weather(false, null)).version());
        assertNotEquals(absent.version(), config(weather(true, null)).version(),
                "forwarding the client's token changes what the broker sends, so it is part of the version");

        // A writer that spells out false and one that leaves the field out publish the same config.
        GatewayConfig read = parse("{\"servers\":[{\"id\":\"team/weather\",\"toolPrefix\":\"weather_\",\"url\":\"" + URL
                + "\",\"authPassthrough\":false}],\"version\":\"" + absent.version() + "\"}");
        assertNull(read.servers().get(0).authPassthrough());
        assertFalse(read.servers().get(0).usesClientToken());
        assertFalse(text(read).contains("authPassthrough"), text(read));
        assertEquals(text(absent), text(read));
    }

    @Test
    void scopesInAnyOrderOrRepeatedGiveTheSameVersion() {
        GatewayConfig sorted = config(weather(null, new TokenExchange(ENDPOINT, null, List.of("admin", "read", "write"))));
        GatewayConfig shuffled = config(weather(null, new TokenExchange(ENDPOINT, null,
                List.of("write", "read", "admin", "write", "read"))));
        assertEquals(sorted.version(), shuffled.version());
        assertEquals(List.of("admin", "read", "write"), shuffled.servers().get(0).tokenExchange().scopes());
        assertEquals(GatewayConfigCodec.entryHash(sorted.servers().get(0)),
                GatewayConfigCodec.entryHash(shuffled.servers().get(0)));

        GatewayConfig readShuffled = parse("{\"servers\":[{\"id\":\"team/weather\",\"toolPrefix\":\"weather_\",\"url\":\""
                + URL + "\",\"tokenExchange\":{\"tokenEndpoint\":\"" + ENDPOINT + "\",\"scopes\":[\"write\",\"admin\",\"read\",\"admin\"]}}]}");
        assertEquals(sorted.version(), readShuffled.version(), "a reader hashes a published list as its writer did");

        GatewayConfig noScopes = config(weather(null, new TokenExchange(ENDPOINT, null, null)));
        assertEquals(noScopes.version(), config(weather(null, new TokenExchange(ENDPOINT, " ", List.of()))).version(),
                "an empty scope list and a blank audience are none");
    }

    @Test
    void passthroughAndExchangeTogetherAreRejectedNamingAuthPassthrough() {
        ConfigValidationException e = assertThrows(ConfigValidationException.class,
                () -> weather(true, new TokenExchange(ENDPOINT, null, null)));
        assertEquals("authPassthrough", e.field());
        assertTrue(e.getMessage().contains("cannot be combined with tokenExchange"), e.getMessage());

        e = assertThrows(ConfigValidationException.class, () -> parse("{\"servers\":[{\"id\":\"team/weather\",\"url\":\""
                + URL + "\",\"authPassthrough\":true,\"tokenExchange\":{\"tokenEndpoint\":\"" + ENDPOINT + "\"}}]}"));
        assertEquals("servers[0].authPassthrough", e.field());
        assertTrue(e.getMessage().contains("cannot be combined with tokenExchange"), e.getMessage());
    }

    /** A workload's pods are reached through the proxy-runner, which never forwards credentials to a pod. */
    @Test
    void aWorkloadServerTakesNeitherPassthroughNorExchange() {
        Workload workload = new Workload("weather", "weather-headless", "team", 3000, "/mcp", 1);
        ConfigValidationException passthrough = assertThrows(ConfigValidationException.class,
                () -> new ServerEntry("team/weather", "", null, true, null, null, null, workload, true, null));
        assertEquals("authPassthrough", passthrough.field());
        assertTrue(passthrough.getMessage().contains("workload server"), passthrough.getMessage());

        ConfigValidationException exchange = assertThrows(ConfigValidationException.class,
                () -> new ServerEntry("team/weather", "", null, true, null, null, null, workload, null,
                        new TokenExchange(ENDPOINT, null, null)));
        assertEquals("tokenExchange", exchange.field());
        assertTrue(exchange.getMessage().contains("workload server"), exchange.getMessage());

        assertNull(new ServerEntry("team/weather", "", null, true, null, null, null, workload, false, null)
                .authPassthrough(), "false is no passthrough, so a workload may say it");
    }

    @Test
    void aTokenExchangeNeedsAnAbsoluteHttpTokenEndpoint() {
        for (String bad : Arrays.asList(null, " ", "ftp://idp.example/token", "idp.example/token", "https:///token",
                "https://idp example/token")) {
            ConfigValidationException e = assertThrows(ConfigValidationException.class,
                    () -> new TokenExchange(bad, null, null), String.valueOf(bad));
            assertEquals("tokenEndpoint", e.field(), e.getMessage());
        }
        assertEquals("http://127.0.0.1:8180/token", new TokenExchange("http://127.0.0.1:8180/token", null, null).tokenEndpoint());

        ConfigValidationException published = assertThrows(ConfigValidationException.class, () -> parse(
                "{\"servers\":[{\"id\":\"team/weather\",\"url\":\"" + URL
                        + "\",\"tokenExchange\":{\"tokenEndpoint\":\"ftp://idp.example/token\"}}]}"));
        assertEquals("servers[0].tokenExchange.tokenEndpoint", published.field(), "the field's path, once");
        assertTrue(published.getMessage().contains("'ftp://idp.example/token' must be an http or https URL"),
                published.getMessage());
    }

    @Test
    void everyScopeMustBeAnOAuthScopeToken() {
        for (String bad : Arrays.asList("tools read", "say\"hi\"", "back\\slash", "", "caf\u00e9", "tab\there",
                null, "x".repeat(129))) {
            ConfigValidationException e = assertThrows(ConfigValidationException.class,
                    () -> new TokenExchange(ENDPOINT, null, Arrays.asList("read", bad)), String.valueOf(bad));
            assertEquals("scopes", e.field(), e.getMessage());
            assertTrue(e.getMessage().contains("'" + bad + "' is not an OAuth scope"), e.getMessage());
        }
        assertEquals(List.of("api://weather/.default", "mcp:tools", "openid"), new TokenExchange(ENDPOINT, null,
                List.of("openid", "mcp:tools", "api://weather/.default")).scopes());
    }

    @Test
    void atMostThirtyTwoScopes() {
        List<String> scopes = new ArrayList<>(IntStream.rangeClosed(1, TokenExchange.MAX_SCOPES)
                .mapToObj(i -> "scope" + i).toList());
        assertEquals(32, new TokenExchange(ENDPOINT, null, scopes).scopes().size());

        scopes.add("one_too_many");
        ConfigValidationException e = assertThrows(ConfigValidationException.class,
                () -> new TokenExchange(ENDPOINT, null, scopes));
        assertEquals("scopes", e.field());
        assertTrue(e.getMessage().contains("at most 32 distinct scopes"), e.getMessage());
        // repeats are not counted
        List<String> repeated = new ArrayList<>(java.util.Collections.nCopies(40, "read"));
        assertEquals(List.of("read"), new TokenExchange(ENDPOINT, null, repeated).scopes());
    }

    @Test
    void theAudienceIsTheServerUrlUnlessOneIsConfigured() {
        assertEquals(URL, new TokenExchange(ENDPOINT, null, null).audienceFor(URL));
        assertEquals(URL, new TokenExchange(ENDPOINT, "  ", null).audienceFor(URL));
        assertEquals("api://weather", new TokenExchange(ENDPOINT, "api://weather", null).audienceFor(URL));
    }

    @Test
    void passthroughAndExchangeSurvivePublishingAndReading() {
        TokenExchange exchange = new TokenExchange(ENDPOINT, "api://search", List.of("search.read", "openid"));
        GatewayConfig published = config(
                weather(true, null),
                new ServerEntry("team/search", "search_", "https://search.example/mcp", true, null, null, null, null,
                        null, exchange),
                new ServerEntry("team/plain", "plain_", "https://plain.example/mcp", true, null, null, null, null));

        GatewayConfig read = GatewayConfigCodec.parse(GatewayConfigCodec.toJson(published));
        assertEquals(published, read);
        assertEquals(published.version(), read.version());
        assertEquals(Boolean.TRUE, read.server("team/weather").orElseThrow().authPassthrough());
        assertTrue(read.server("team/weather").orElseThrow().usesClientToken());
        ServerEntry search = read.server("team/search").orElseThrow();
        assertEquals(exchange, search.tokenExchange());
        assertEquals(List.of("openid", "search.read"), search.tokenExchange().scopes());
        assertEquals("api://search", search.tokenExchange().audienceFor(search.url()));
        assertTrue(search.usesClientToken());
        assertFalse(read.server("team/plain").orElseThrow().usesClientToken(),
                "a server without either never gets the client's token");
    }
}
