package dev.manifold.runtime.http;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OriginPolicyTest {

    @Test
    void standaloneDefaultsAllowLoopbackOriginsAndHostsOnly() {
        OriginPolicy laptop = new OriginPolicy(List.of(), List.of(), true);
        assertTrue(laptop.originAllowed(null), "no Origin: not a browser");
        assertTrue(laptop.originAllowed("http://localhost:6274"));
        assertTrue(laptop.originAllowed("http://127.0.0.1:3000"));
        assertFalse(laptop.originAllowed("https://evil.example"));
        assertFalse(laptop.originAllowed("not a url"));
        assertTrue(laptop.hostAllowed("localhost:8080"));
        assertTrue(laptop.hostAllowed("127.0.0.1:8080"));
        assertTrue(laptop.hostAllowed("[::1]:8080"));
        assertFalse(laptop.hostAllowed("evil.example:8080"), "a rebound name is refused even from loopback");
        assertFalse(laptop.hostAllowed(null));
        assertFalse(laptop.hostAllowed("::1:8080"), "an unbracketed IPv6 Host is malformed");
        assertTrue(laptop.hostNameAllowed("::1"), "a parsed authority's IPv6 host comes without brackets");
        assertFalse(laptop.hostNameAllowed(null), "HTTP/2 without :authority");
    }

    @Test
    void inAClusterAnyHostUnlessHostsAreListed() {
        assertTrue(new OriginPolicy(List.of(), List.of(), false).hostAllowed("manifold-broker.manifold-system:8080"));
        OriginPolicy listed = new OriginPolicy(List.of("https://app.example"), List.of("mcp.example.com"), false);
        assertTrue(listed.hostAllowed("MCP.example.com:443"));
        assertFalse(listed.hostAllowed("other.example.com"));
        assertTrue(listed.originAllowed("https://app.example"));
        assertFalse(listed.originAllowed("https://app.example.evil"));
        assertTrue(new OriginPolicy(List.of("*"), List.of("*"), true).originAllowed("https://any.example"));
        assertTrue(new OriginPolicy(List.of("*"), List.of("*"), true).hostAllowed("any.example"));
    }

    @Test
    void hostNamesLoseTheirPort() {
        assertEquals("example.com", OriginPolicy.hostName("example.com:8080"));
        assertEquals("[::1]", OriginPolicy.hostName("[::1]:80"));
        assertNull(OriginPolicy.hostName("[::1"));
    }
}
