package dev.manifold.proxy.http;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The length-dispatched {@link HeaderPolicy#isHopByHop} answers exactly for the listed names, in any case. */
class HopByHopTest {

    @Test
    void exactlyTheListedNamesInAnyCase() {
        List<String> listed = List.of(HeaderPolicy.HOP_BY_HOP);
        for (String name : listed) {
            assertEquals(true, HeaderPolicy.isHopByHop(name), name);
            assertEquals(true, HeaderPolicy.isHopByHop(name.toUpperCase(Locale.ROOT)), name);
        }
        for (String name : List.of("Mcp-Session-Id", "Content-Length", "Host", "TE", "Keep-Alive", "Upgrade")) {
            assertEquals(true, HeaderPolicy.isHopByHop(name), name);
        }
        for (String name : List.of("", "t", "tf", "hosts", "hos", "content-type", "Content-Lengthy", "accept",
                "MCP-Protocol-Version", "mcp-session-ix", "authorization", "proxy-authorizatio", "trailers",
                "x-forwarded-for", "connectionx", "keep_alive", "transfer-encodinG2")) {
            assertEquals(listed.contains(name.toLowerCase(Locale.ROOT)), HeaderPolicy.isHopByHop(name), name);
        }
    }
}
