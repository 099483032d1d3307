package dev.manifold.broker.credentials;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import dev.manifold.broker.settings.BrokerConfig;
import dev.manifold.contracts.Globs;
import dev.manifold.contracts.ServerEntry;
import dev.manifold.contracts.TokenExchange;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.oidc.client.OidcClient;
import io.quarkus.oidc.client.OidcClientConfigBuilder;
import io.quarkus.oidc.client.OidcClients;
import io.quarkus.oidc.client.Tokens;
import io.quarkus.oidc.client.runtime.OidcClientConfig;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

/**
 * What a client's request carries to a server that acts on the client's own identity. By default nothing: the
 * client's {@code Authorization} is never forwarded. A server with {@code authPassthrough} gets the header as the
 * client sent it; a server with {@code tokenExchange} gets a token the broker obtained for it with an RFC 8693 token
 * exchange of the client's bearer token (quarkus-oidc-client, one client per token endpoint, audience and scopes),
 * cached per caller and server until {@code expiry-skew} before it expires.
 *
 * <p>Only client sessions' traffic is sent a client token. The broker's own connects, lists and probes use the
 * server's {@code credentialRef}/{@code credential}, if any. A client token replaces a credential sent in
 * {@code Authorization}; a credential in another header is sent beside it. Counts
 * {@code manifold.broker.token.exchanges} by server and outcome ({@code exchanged}, {@code cached}, {@code failed}).
 */
@ApplicationScoped
public class ClientTokens {
    private static final Logger LOG = Logger.getLogger(ClientTokens.class);
    static final String ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";

    /** What one URL's servers get from a client's token. */
    sealed interface Policy {
        Set<String> serverIds();
    }

    record Passthrough(Set<String> serverIds) implements Policy {
    }

    record Exchange(TokenExchange spec, String audience, Set<String> serverIds) implements Policy {
    }

    /** A URL its servers send nothing from a client's token to (dropped once the URLs are bound). */
    record Plain(Set<String> serverIds) implements Policy {
    }

    /**
     * Nothing is sent, and each client request says why: servers sharing a URL disagree, or the operator has not
     * allowed the token exchange.
     */
    record Refused(String reason, Set<String> serverIds) implements Policy {
    }

    /** One exchanged token: whose, for which exchange. */
    record Key(String owner, TokenExchange spec, String audience) {
        @Override
        public String toString() {
            return "Key[" + audience + "]"; // the owner may be a token hash: kept out of any log line
        }
    }

    /**
     * An exchanged token and when it stops being used, epoch milliseconds ({@code 0}: not kept), or why the exchange
     * failed (never kept). A failure is a value, not a failed future: Caffeine logs every failed asynchronous load
     * at WARN with its stack trace, and any caller can make an exchange fail.
     */
    record Exchanged(String accessToken, long useUntil, String failure) {
        @Override
        public String toString() {
            return "Exchanged[<redacted>]";
        }
    }

    private final OidcClients oidcClients;
    private final BrokerConfig.TokenExchangeClient settings;
    private final MeterRegistry registry;
    private volatile Map<String, Policy> byUrl = Map.of();
    /** One OIDC client per distinct exchange (endpoint, audience, scopes), created on first use. */
    private final Map<Exchange, Uni<OidcClient>> clients = new ConcurrentHashMap<>();
    private final AsyncCache<Key, Exchanged> exchanged;

    public ClientTokens(OidcClients oidcClients, BrokerConfig config, MeterRegistry registry) {
        this.oidcClients = oidcClients;
        this.settings = config.tokenExchange();
        this.registry = registry;
        this.exchanged = Caffeine.newBuilder()
                .maximumSize(settings.cacheSize())
                .expireAfter(new Expiry<Key, Exchanged>() {
                    @Override
                    public long expireAfterCreate(Key key, Exchanged value, long currentTime) {
                        return Math.max(0, value.useUntil() - System.currentTimeMillis()) * 1_000_000L;
                    }

                    @Override
                    public long expireAfterUpdate(Key key, Exchanged value, long currentTime, long currentDuration) {
                        return expireAfterCreate(key, value, currentTime);
                    }

                    @Override
                    public long expireAfterRead(Key key, Exchanged value, long currentTime, long currentDuration) {
                        return currentDuration;
                    }
                })
                .buildAsync();
    }

    @PreDestroy
    void close() {
        clients.values().forEach(c -> c.subscribe().with(ClientTokens::closeQuietly, f -> {
        }));
    }

    /**
     * Binds the entries now in force to their URLs (workload entries already resolved to the proxy-runner's). Entries
     * that share a URL but differ in what they get from a client's token (one of them nothing) get a refusal: a URL
     * cannot tell them apart, so neither order of the entries can decide it.
     */
    public void configure(Collection<ServerEntry> entries) {
        Map<String, Policy> next = new HashMap<>();
        for (ServerEntry entry : entries) {
            if (!entry.isEnabled() || entry.url() == null) {
                continue;
            }
            Policy own = policyOf(entry);
            Policy known = next.get(entry.url());
            if (known == null) {
                next.put(entry.url(), own);
                continue;
            }
            Set<String> ids = new TreeSet<>(known.serverIds());
            ids.add(entry.id());
            next.put(entry.url(), sameKind(known, own) ? withIds(known, ids) : new Refused("servers " + ids
                    + " share the URL " + entry.url() + " but differ in authPassthrough or tokenExchange; a client's "
                    + "token is sent to a URL one way, so none is sent", Set.copyOf(ids)));
        }
        next.values().removeIf(p -> p instanceof Plain);
        byUrl = Map.copyOf(next);
        Set<Exchange> inForce = new java.util.HashSet<>();
        byUrl.values().forEach(p -> {
            if (p instanceof Exchange e) {
                inForce.add(new Exchange(e.spec(), e.audience(), Set.of()));
            }
        });
        for (Exchange gone : Set.copyOf(clients.keySet())) {
            Uni<OidcClient> client = inForce.contains(gone) ? null : clients.remove(gone);
            if (client != null) {
                client.subscribe().with(ClientTokens::closeQuietly, f -> {
                });
            }
        }
    }

    /**
     * What one entry's URL gets from a client's token. A token exchange the operator has not allowed is refused: its
     * endpoint receives every caller's token and the broker's client secret, and its audience decides which API the
     * token opens, so an MCPServer's author (anyone who may create one in a watched namespace) must not pick either
     * on their own. The audience may be the server's own URL, or one the operator listed.
     */
    private Policy policyOf(ServerEntry entry) {
        Set<String> id = Set.of(entry.id());
        TokenExchange spec = entry.tokenExchange();
        if (spec == null) {
            return entry.authPassthrough() != null ? new Passthrough(id) : new Plain(id);
        }
        String audience = spec.audienceFor(entry.url());
        if (settings.allowedEndpoints().orElse(List.of()).stream().noneMatch(g -> Globs.matches(g, spec.tokenEndpoint()))) {
            return new Refused("its token endpoint " + spec.tokenEndpoint() + " is not in "
                    + "manifold.broker.token-exchange.allowed-endpoints; callers' tokens go to no other", id);
        }
        if (!audience.equals(entry.url())
                && settings.allowedAudiences().orElse(List.of()).stream().noneMatch(g -> Globs.matches(g, audience))) {
            return new Refused("its token-exchange audience " + audience + " is neither the server's URL nor in "
                    + "manifold.broker.token-exchange.allowed-audiences", id);
        }
        return new Exchange(spec, audience, id);
    }

    private static void closeQuietly(OidcClient client) {
        try {
            client.close();
        } catch (java.io.IOException | RuntimeException e) {
            LOG.debugf("Closing a token-exchange client failed: %s", e.getMessage());
        }
    }

    private static boolean sameKind(Policy a, Policy b) {
        if (a instanceof Refused || b instanceof Refused) {
            return false;
        }
        if (a instanceof Plain || a instanceof Passthrough) {
            return a.getClass() == b.getClass();
        }
        return b instanceof Exchange e && ((Exchange) a).spec().equals(e.spec()) && ((Exchange) a).audience().equals(e.audience());
    }

    private static Policy withIds(Policy p, Set<String> ids) {
        Set<String> copy = Set.copyOf(ids);
        return p instanceof Exchange e ? new Exchange(e.spec(), e.audience(), copy)
                : p instanceof Passthrough ? new Passthrough(copy) : new Plain(copy);
    }

    /** Whether requests to {@code url} carry something made from the client's token. */
    public boolean usesClientToken(String url) {
        return url != null && byUrl.containsKey(url);
    }

    /** Whether a client token replaces the credential sent in {@code header} to {@code url}. */
    public boolean replaces(String url, String header) {
        return usesClientToken(url) && Credential.AUTHORIZATION.equalsIgnoreCase(header);
    }

    /**
     * Puts what {@code url} gets from the client's token in a request's headers with {@code putHeader}. Completes
     * with {@code null}, or with why the request must not be sent (no bearer token to exchange, an exchange
     * refused, a conflict). A passthrough server is sent the request without {@code Authorization} when the client
     * sent none: it answers that itself.
     */
    public Uni<String> authorize(String url, ClientToken client, BiConsumer<String, String> putHeader) {
        Policy policy = url == null ? null : byUrl.get(url);
        if (policy == null) {
            return Uni.createFrom().nullItem();
        }
        if (policy instanceof Refused refused) {
            return Uni.createFrom().item(refused.reason());
        }
        if (policy instanceof Passthrough) {
            if (client.authorization() != null) {
                putHeader.accept(Credential.AUTHORIZATION, client.authorization());
            }
            return Uni.createFrom().nullItem();
        }
        Exchange exchange = (Exchange) policy;
        String server = String.join(",", exchange.serverIds());
        String subject = client.bearer();
        if (subject == null) {
            return Uni.createFrom().item("the server exchanges the caller's token (tokenExchange), and the request "
                    + "carries no bearer token");
        }
        if (settings.clientId().isEmpty()) {
            return Uni.createFrom().item("the server's tokenExchange needs the broker's client id "
                    + "(manifold.broker.token-exchange.client-id), which is not set");
        }
        Key key = new Key(client.owner(), exchange.spec(), exchange.audience());
        boolean[] fetched = {false};
        return Uni.createFrom().completionStage(() -> exchanged.get(key, (k, executor) -> {
                    fetched[0] = true;
                    return exchange(exchange, subject).subscribeAsCompletionStage();
                }))
                .map(token -> {
                    if (token.failure() != null) {
                        count(server, "failed");
                        LOG.debugf("Token exchange at %s for %s failed: %s", exchange.spec().tokenEndpoint(), server,
                                token.failure());
                        return "the token exchange at " + exchange.spec().tokenEndpoint() + " failed: " + token.failure();
                    }
                    count(server, fetched[0] ? "exchanged" : "cached");
                    putHeader.accept(Credential.AUTHORIZATION, "Bearer " + token.accessToken());
                    return (String) null;
                });
    }

    private Uni<Exchanged> exchange(Exchange exchange, String subject) {
        Exchange clientKey = new Exchange(exchange.spec(), exchange.audience(), Set.of());
        Uni<OidcClient> client = clients.computeIfAbsent(clientKey, k -> {
            java.util.concurrent.atomic.AtomicReference<Uni<OidcClient>> self = new java.util.concurrent.atomic.AtomicReference<>();
            Uni<OidcClient> created = oidcClients.newClient(clientConfig(k))
                    .onFailure().invoke(f -> clients.remove(k, self.get()))
                    .memoize().indefinitely();
            self.set(created);
            return created;
        });
        return client
                .chain(c -> c.getTokens(Map.of("subject_token", subject)))
                .ifNoItem().after(settings.timeout()).failWith(() -> new IllegalStateException(
                        "no answer within " + settings.timeout()))
                .map(this::kept)
                .onFailure().recoverWithItem(failure -> new Exchanged(null, 0, describe(failure)));
    }

    private Exchanged kept(Tokens tokens) {
        Long expiresAt = tokens.getAccessTokenExpiresAt(); // epoch seconds; null without expires_in
        if (expiresAt == null) {
            return new Exchanged(tokens.getAccessToken(), 0, null);
        }
        long now = System.currentTimeMillis();
        long until = Math.min(expiresAt * 1000 - settings.expirySkew().toMillis(), now + settings.maxLifetime().toMillis());
        return new Exchanged(tokens.getAccessToken(), Math.max(until, 0), null);
    }

    private OidcClientConfig clientConfig(Exchange exchange) {
        String endpoint = exchange.spec().tokenEndpoint();
        Map<String, String> grant = new HashMap<>();
        grant.put("subject_token_type", ACCESS_TOKEN_TYPE);
        grant.put("requested_token_type", ACCESS_TOKEN_TYPE);
        grant.put("audience", exchange.audience());
        OidcClientConfigBuilder builder = OidcClientConfig.builder()
                .id("manifold-token-exchange-" + Integer.toHexString(exchange.hashCode()))
                .authServerUrl(endpoint)
                .discoveryEnabled(false)
                .tokenPath(endpoint)
                .clientId(settings.clientId().orElseThrow())
                .grant(OidcClientConfig.Grant.Type.EXCHANGE)
                .grantOptions("exchange", grant)
                .connectionTimeout(settings.timeout())
                .earlyTokensAcquisition(false);
        settings.clientSecret().ifPresent(builder::credentials);
        if (exchange.spec().scopes() != null) {
            builder.scopes(exchange.spec().scopes());
        }
        return builder.build();
    }

    /** The failure as a client may be told it: the token endpoint's error, never a token. */
    private static String describe(Throwable failure) {
        Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        return message.length() > 300 ? message.substring(0, 300) + "…" : message;
    }

    private void count(String server, String outcome) {
        Counter.builder("manifold.broker.token.exchanges")
                .description("Client tokens exchanged (RFC 8693) for servers with tokenExchange, by outcome")
                .tag("server", server).tag("outcome", outcome)
                .register(registry).increment();
    }

    /** The cache of exchanged tokens, for the check that its classes are registered for the native image. */
    Map<?, ?> cacheForNativeCheck() {
        return exchanged.asMap();
    }
}
