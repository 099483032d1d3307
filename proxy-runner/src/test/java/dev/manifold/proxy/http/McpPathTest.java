package dev.manifold.proxy.http;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The hand-written {@code /{namespace}/{name}/mcp} matcher gives what the former vertx-web route
 * {@code ^/([^/]+)/([^/]+)/mcp$} (on the normalized path, parameters percent-decoded) gave: the same server id, or
 * no match (the router's own 404).
 */
class McpPathTest {

    @ParameterizedTest
    @CsvSource({
            "/demo/echo/mcp, demo/echo",
            "/a/b/mcp, a/b",
            "/DEMO/echo/mcp, DEMO/echo",
            // percent-encoded unreserved characters and dot segments are normalized, as vertx-web did
            "/d%65mo/echo/mcp, demo/echo",
            "/demo/ech%6F/mcp, demo/echo",
            "/demo/echo/%6dcp, demo/echo",
            "/demo/./echo/mcp, demo/echo",
            "/x/../demo/echo/mcp, demo/echo",
            // other encoded characters are decoded into the id: never a routed id, so the JSON-RPC 404 as before
            "/demo%2Fx/echo/mcp, demo/x/echo",
            "/demo%20x/echo/mcp, demo x/echo",
    })
    void matches(String path, String serverId) {
        assertEquals(serverId, McpPath.serverId(path));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            // missing parts
            "", "/", "/mcp", "/demo/mcp", "//echo/mcp", "/demo//mcp", "///mcp", "/demo/echo/", "/demo/echo",
            // extra segments
            "/a/demo/echo/mcp", "/demo/echo/mcp/", "/demo/echo/mcp/x", "/demo/echo/x/mcp",
            // not the mcp endpoint
            "/demo/echo/MCP", "/demo/echo/mcpx", "/demo/echo/xmcp", "/q/health/ready", "/demo/echo/..",
            // an encoded slash does not split a segment before matching: two segments, no match
            "/demo%2Fecho/mcp", "/demo%2fecho/mcp",
            // malformed escapes: the router answers them itself
            "/demo%zz/echo/mcp", "/demo%/echo/mcp", "/demo/echo%4/mcp",
    })
    void doesNotMatch(String path) {
        assertNull(McpPath.serverId(path));
    }
}
