package dev.manifold.runtime.testing;

import com.sun.net.httpserver.HttpServer;
import io.smallrye.jwt.build.Jwt;
import io.smallrye.jwt.build.JwtClaimsBuilder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.interfaces.RSAPublicKey;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * An OAuth issuer for tests: RSA keys generated here, a JWKS served on an ephemeral loopback port (its key set can
 * be changed while running, to rotate keys), and tokens minted with smallrye-jwt-build. Counts JWKS fetches.
 */
public final class TestIssuer implements AutoCloseable {
    private final HttpServer server;
    private final Map<String, KeyPair> keys = new LinkedHashMap<>();
    private volatile Map<String, KeyPair> published = Map.of();
    public final AtomicInteger jwksFetches = new AtomicInteger();

    public TestIssuer() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/jwks", exchange -> {
            jwksFetches.incrementAndGet();
            byte[] body = jwks().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        publish(addKey("key-1"));
    }

    /** The issuer identifier tokens carry. */
    public String issuer() {
        return "https://issuer.test/realms/manifold";
    }

    public String jwksUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/jwks";
    }

    /** Generates a key with this {@code kid} (not yet published). */
    public synchronized String addKey(String kid) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            keys.put(kid, generator.generateKeyPair());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        return kid;
    }

    /** Publishes exactly these keys in the JWKS. */
    public synchronized void publish(String... kids) {
        Map<String, KeyPair> next = new LinkedHashMap<>();
        for (String kid : kids) {
            next.put(kid, keys.get(kid));
        }
        published = next;
    }

    /** A token signed with key {@code kid}: issuer, subject, audience, an expiry 5 minutes ahead, then {@code more}. */
    public String token(String kid, String subject, String audience, UnaryOperator<JwtClaimsBuilder> more) {
        JwtClaimsBuilder claims = Jwt.issuer(issuer()).subject(subject).audience(audience)
                .issuedAt(System.currentTimeMillis() / 1000)
                .expiresAt(System.currentTimeMillis() / 1000 + 300);
        KeyPair key;
        synchronized (this) {
            key = keys.get(kid);
        }
        return more.apply(claims).jws().keyId(kid).sign(key.getPrivate());
    }

    public String token(String subject, String audience) {
        return token("key-1", subject, audience, c -> c);
    }

    private String jwks() {
        StringBuilder b = new StringBuilder("{\"keys\":[");
        boolean first = true;
        for (Map.Entry<String, KeyPair> e : published.entrySet()) {
            RSAPublicKey pub = (RSAPublicKey) e.getValue().getPublic();
            b.append(first ? "" : ",").append("{\"kty\":\"RSA\",\"use\":\"sig\",\"alg\":\"RS256\",\"kid\":\"")
                    .append(e.getKey()).append("\",\"n\":\"").append(b64(pub.getModulus()))
                    .append("\",\"e\":\"").append(b64(pub.getPublicExponent())).append("\"}");
            first = false;
        }
        return b.append("]}").toString();
    }

    private static String b64(BigInteger value) {
        byte[] bytes = value.toByteArray();
        if (bytes.length > 1 && bytes[0] == 0) {
            bytes = java.util.Arrays.copyOfRange(bytes, 1, bytes.length);
        }
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
