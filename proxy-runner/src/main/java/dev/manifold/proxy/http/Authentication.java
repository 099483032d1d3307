package dev.manifold.proxy.http;

import dev.manifold.proxy.ProxyConfig;
import dev.manifold.runtime.auth.AuthSettings;
import dev.manifold.runtime.auth.Caller;
import dev.manifold.runtime.auth.RequestAuthentication;
import dev.manifold.runtime.auth.ResourceServer;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.util.Optional;
import java.util.function.Consumer;

/**
 * Who is calling the proxy-runner: in OAuth resource-server mode ({@code manifold.proxy.auth.mode=oauth}) every
 * request on an MCP route needs a bearer token that runtime's {@link RequestAuthentication} accepts, and the
 * protected-resource metadata is served; otherwise every caller is {@link Caller#ANONYMOUS} and the start says so
 * once at WARN. Rejections are 401/403 with the challenge and a JSON-RPC body, before any session work. The broker
 * sends no client token to the proxy-runner: OAuth mode here is for clients that reach it directly.
 * <p>
 * The class names are those Caffeine loads for the verified-token cache (maximum size, expire after write),
 * registered for the native image; OAuthModeTest fails when the cache's options change and they do not.
 */
@ApplicationScoped
@RegisterForReflection(classNames = {"com.github.benmanes.caffeine.cache.SSMSW", "com.github.benmanes.caffeine.cache.PSWMS"})
public class Authentication {
    private static final String PREFIX = "manifold.proxy";

    private final RequestAuthentication auth;

    public Authentication(ProxyConfig config, Vertx vertx) {
        this.auth = new RequestAuthentication(AuthSettings.read(config.auth(), PREFIX), vertx);
    }

    void announce(@Observes StartupEvent event) {
        auth.announce(PREFIX + ".auth.mode", "the proxy-runner");
    }

    void routes(@Observes Router router) {
        auth.serveMetadata(router);
    }

    /** The resource-server checks, when on. */
    public Optional<ResourceServer> resourceServer() {
        return auth.resourceServer();
    }

    /** Runs {@code then} with the caller, or answers 401/403 (503 when too many verifications wait). */
    void authenticate(Exchange ex, Consumer<Caller> then) {
        auth.authenticate(ex.req.getHeader("Authorization"), then, (status, challenge, code, message) -> {
            ex.out.putHeader(challenge != null ? "WWW-Authenticate" : "Retry-After", challenge != null ? challenge : "1");
            ex.error(status, null, code, message, ProxyOutcome.UNAUTHORIZED);
        });
    }
}
