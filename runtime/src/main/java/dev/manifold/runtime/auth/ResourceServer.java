package dev.manifold.runtime.auth;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.smallrye.jwt.auth.principal.DefaultJWTParser;
import io.smallrye.jwt.auth.principal.JWTAuthContextInfo;
import io.smallrye.jwt.auth.principal.ParseException;
import org.eclipse.microprofile.jwt.JsonWebToken;

import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;

/**
 * OAuth 2.1 resource-server mode (the MCP authorization spec): a request carries {@code Authorization: Bearer <JWT>}
 * whose signature verifies against the issuer's JWKS (smallrye-jwt fetches and caches the key set, and refetches it
 * when a token names an unknown {@code kid}, at most once per {@code forcedJwksRefresh}), whose {@code iss} is the
 * configured issuer, whose {@code aud} names this resource, and whose {@code exp}/{@code nbf} hold within the clock
 * skew. The answer is a {@link Caller} (issuer and subject), or the 401/403 with the {@code WWW-Authenticate}
 * challenge RFC 6750 and RFC 9728 define. Tokens already verified are kept (bounded) until they expire, so the
 * common case is a map lookup on the event loop; {@link #verify} may block on the JWKS fetch and runs on a worker.
 */
public final class ResourceServer {

    /** RFC 9728's well-known path; the resource's own path is appended to it. */
    public static final String WELL_KNOWN = "/.well-known/oauth-protected-resource";

    private static final Pattern BEARER = Pattern.compile("(?i)bearer +([A-Za-z0-9._~+/-]+=*) *");
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @param resource             this resource's URL, the audience a token must name (RFC 8707)
     * @param issuer               the {@code iss} every token must carry
     * @param jwksUrl              where the issuer publishes its signing keys
     * @param authorizationServers advertised in the metadata; the issuer when empty
     * @param requiredScopes       scopes every token must grant (403 {@code insufficient_scope} otherwise)
     * @param clockSkew            tolerance on {@code exp} and {@code nbf}
     * @param forcedJwksRefresh    least time between two key-set fetches caused by unknown {@code kid}s
     * @param jwksRefresh          how often the key set is fetched anyway
     * @param maxCachedTokens      bound on verified tokens kept
     * @param maxPendingVerifications bound on verifications waiting for a worker thread (beyond it: 503)
     */
    public record Settings(URI resource, String issuer, URI jwksUrl, List<String> authorizationServers,
                           Set<String> requiredScopes, Duration clockSkew, Duration forcedJwksRefresh,
                           Duration jwksRefresh, int maxCachedTokens, int maxPendingVerifications) {
        public Settings {
            requireHttpUrl("resource", resource);
            requireHttpUrl("jwks-url", jwksUrl);
            if (issuer == null || issuer.isBlank() || issuer.contains(" ")) {
                throw new IllegalArgumentException("auth issuer must be set (a URL without spaces)");
            }
            authorizationServers = authorizationServers == null || authorizationServers.isEmpty()
                    ? List.of(issuer) : List.copyOf(authorizationServers);
            requiredScopes = requiredScopes == null ? Set.of() : Set.copyOf(new TreeSet<>(requiredScopes));
            if (clockSkew == null || clockSkew.isNegative()) {
                throw new IllegalArgumentException("auth clock-skew must be zero or more");
            }
            if (maxCachedTokens < 1) {
                throw new IllegalArgumentException("auth max-cached-tokens must be at least 1");
            }
            if (maxPendingVerifications < 1) {
                throw new IllegalArgumentException("auth max-pending-verifications must be at least 1");
            }
        }

        private static void requireHttpUrl(String key, URI url) {
            if (url == null || url.getHost() == null
                    || !("https".equals(url.getScheme()) || "http".equals(url.getScheme()))) {
                throw new IllegalArgumentException("auth " + key + " must be an absolute http(s) URL, got " + url);
            }
        }
    }

    /** The decision for one request. */
    public sealed interface Outcome {
        /** The token is good: the request is this caller's. */
        record Allowed(Caller caller) implements Outcome {
        }

        /** 401 or 403, with the challenge for {@code WWW-Authenticate} and a message for the JSON-RPC error. */
        record Denied(int status, String challenge, String message) implements Outcome {
        }
    }

    private record Verified(Caller caller, long expiresAtMillis) {
    }

    private final Settings settings;
    private final DefaultJWTParser parser;
    private final Cache<String, Verified> verified;
    private final LongSupplier clock;
    private final String metadataUrl;
    private final String metadataPath;
    private final byte[] metadata;
    private final java.util.concurrent.atomic.AtomicInteger pending = new java.util.concurrent.atomic.AtomicInteger();

    public ResourceServer(Settings settings) {
        this(settings, System::currentTimeMillis);
    }

    ResourceServer(Settings settings, LongSupplier clock) {
        this.settings = settings;
        this.clock = clock;
        JWTAuthContextInfo info = new JWTAuthContextInfo(settings.jwksUrl().toString(), settings.issuer());
        info.setExpectedAudience(Set.of(settings.resource().toString()));
        info.setClockSkew((int) settings.clockSkew().toSeconds());
        info.setForcedJwksRefreshInterval(minutes(settings.forcedJwksRefresh()));
        info.setJwksRefreshInterval(Math.max(1, minutes(settings.jwksRefresh())));
        info.setRequiredClaims(Set.of("sub", "exp"));
        this.parser = new DefaultJWTParser(info);
        this.verified = Caffeine.newBuilder()
                .maximumSize(settings.maxCachedTokens())
                .expireAfterWrite(Duration.ofMinutes(10))
                .build();
        String path = settings.resource().getRawPath();
        this.metadataPath = WELL_KNOWN + (path == null || path.isEmpty() || path.equals("/") ? "" : path);
        URI r = settings.resource();
        this.metadataUrl = r.getScheme() + "://" + r.getRawAuthority() + metadataPath;
        this.metadata = metadataJson(settings);
    }

    private static int minutes(Duration d) {
        return d == null ? 0 : (int) Math.max(0, d.toMinutes());
    }

    public Settings settings() {
        return settings;
    }

    /** The metadata document's path on this service (RFC 9728 section 3.1: the well-known path, then the resource's). */
    public String metadataPath() {
        return metadataPath;
    }

    /** The metadata document's URL, as the challenge names it. */
    public String metadataUrl() {
        return metadataUrl;
    }

    /** The RFC 9728 protected-resource metadata, as JSON. */
    public byte[] metadata() {
        return metadata.clone();
    }

    /**
     * The answer when no blocking work is needed: a missing or malformed header (401), or a token verified before
     * and not yet expired. Empty when the token must be {@linkplain #verify verified}.
     */
    public Optional<Outcome> quick(String authorization) {
        if (authorization == null || authorization.isBlank()) {
            return Optional.of(new Outcome.Denied(401, challenge(null, null), "Unauthorized: a bearer token is required"));
        }
        String token = token(authorization);
        if (token == null) {
            return Optional.of(new Outcome.Denied(401, challenge("invalid_request", "expected a Bearer token"),
                    "Unauthorized: the Authorization header is not a Bearer token"));
        }
        Verified known = verified.getIfPresent(token);
        if (known == null) {
            return Optional.empty();
        }
        if (clock.getAsLong() >= known.expiresAtMillis() + settings.clockSkew().toMillis()) {
            verified.invalidate(token);
            return Optional.of(invalid("the token has expired"));
        }
        return Optional.of(scoped(known.caller()));
    }

    /**
     * Takes one of the {@code maxPendingVerifications} slots for a {@link #verify} on a worker; false when all are
     * taken (the caller answers 503). Each admitted verification is followed by {@link #release()}.
     */
    public boolean admit() {
        if (pending.incrementAndGet() > settings.maxPendingVerifications()) {
            pending.decrementAndGet();
            return false;
        }
        return true;
    }

    public void release() {
        pending.decrementAndGet();
    }

    /** Verifies the token of the header (may block on fetching the JWKS). */
    public Outcome verify(String authorization) {
        Optional<Outcome> quick = quick(authorization);
        if (quick.isPresent()) {
            return quick.get();
        }
        String token = token(authorization);
        JsonWebToken jwt;
        try {
            jwt = parser.parse(token);
        } catch (ParseException e) {
            return invalid(reason(e));
        } catch (RuntimeException e) {
            return invalid("the token could not be verified");
        }
        String subject = jwt.getSubject();
        if (subject == null || subject.isBlank()) {
            return invalid("the token has no subject");
        }
        Caller caller = new Caller(jwt.getIssuer(), subject, scopes(jwt));
        verified.put(token, new Verified(caller, jwt.getExpirationTime() * 1000L));
        return scoped(caller);
    }

    private Outcome scoped(Caller caller) {
        if (!caller.scopes().containsAll(settings.requiredScopes())) {
            String scope = String.join(" ", settings.requiredScopes());
            return new Outcome.Denied(403, challenge("insufficient_scope", null) + ", scope=\"" + scope + "\"",
                    "Forbidden: the token lacks a required scope (" + scope + ")");
        }
        return new Outcome.Allowed(caller);
    }

    private Outcome.Denied invalid(String why) {
        return new Outcome.Denied(401, challenge("invalid_token", why), "Unauthorized: " + why);
    }

    private String challenge(String error, String description) {
        StringBuilder b = new StringBuilder("Bearer resource_metadata=\"").append(metadataUrl).append('"');
        if (error != null) {
            b.append(", error=\"").append(error).append('"');
        }
        if (description != null) {
            b.append(", error_description=\"").append(description.replace('"', '\'')).append('"');
        }
        return b.toString();
    }

    private static String token(String authorization) {
        var m = BEARER.matcher(authorization);
        return m.matches() ? m.group(1) : null;
    }

    /** A short reason that names no key material and no claim values beyond which check failed. */
    private static String reason(ParseException e) {
        String text = String.valueOf(e.getMessage()) + " " + (e.getCause() == null ? "" : String.valueOf(e.getCause().getMessage()));
        String lower = text.toLowerCase(Locale.ROOT);
        if (lower.contains("expir")) {
            return "the token has expired";
        }
        if (lower.contains("audience") || lower.contains("aud ")) {
            return "the token is not for this resource (aud)";
        }
        if (lower.contains("issuer") || lower.contains("iss ")) {
            return "the token is from another issuer (iss)";
        }
        if (lower.contains("nbf") || lower.contains("not before")) {
            return "the token is not valid yet (nbf)";
        }
        return "the token's signature or claims did not verify";
    }

    private static Set<String> scopes(JsonWebToken jwt) {
        Set<String> scopes = new LinkedHashSet<>();
        Object scope = jwt.getClaim("scope");
        if (scope != null) {
            String text = scope instanceof jakarta.json.JsonString s ? s.getString() : scope.toString();
            for (String s : text.trim().split(" +")) {
                if (!s.isEmpty()) {
                    scopes.add(s);
                }
            }
        }
        Object scp = jwt.getClaim("scp");
        if (scp instanceof jakarta.json.JsonArray array) {
            array.forEach(v -> scopes.add(v instanceof jakarta.json.JsonString s ? s.getString() : v.toString()));
        } else if (scp instanceof java.util.Collection<?> list) {
            list.forEach(v -> scopes.add(String.valueOf(v)));
        }
        return scopes;
    }

    private static byte[] metadataJson(Settings settings) {
        ObjectNode doc = JSON.createObjectNode();
        doc.put("resource", settings.resource().toString());
        ArrayNode servers = doc.putArray("authorization_servers");
        settings.authorizationServers().forEach(servers::add);
        doc.putArray("bearer_methods_supported").add("header");
        if (!settings.requiredScopes().isEmpty()) {
            ArrayNode scopes = doc.putArray("scopes_supported");
            settings.requiredScopes().forEach(scopes::add);
        }
        try {
            return JSON.writeValueAsBytes(doc);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The verified-token cache, for the services' native-image registration check. */
    public Map<String, ?> cacheForNativeCheck() {
        return verified.asMap();
    }
}
