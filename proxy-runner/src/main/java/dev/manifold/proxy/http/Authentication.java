package dev.manifold.proxy.http;

import dev.manifold.contracts.JsonRpcErrors;
import dev.manifold.proxy.ProxyConfig;
import dev.manifold.runtime.auth.AuthSettings;
import dev.manifold.runtime.auth.Caller;
import dev.manifold.runtime.auth.ResourceServer;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.util.Optional;
import java.util.function.Consumer;

/**
 * Who is calling the proxy-runner: in OAuth resource-server mode ({@code manifold.proxy.auth.mode=oauth}) every
 * request on an MCP route needs a bearer token that {@link ResourceServer} accepts (the broker forwards the client's
 * token only for servers with {@code authPassthrough}), and the protected-resource metadata is served; otherwise
 * every caller is {@link Caller#ANONYMOUS} and the start says so once at WARN. Rejections are 401/403 with the
 * challenge and a JSON-RPC body, before any session work.
 * <p>
 * The class names are those Caffeine loads for the verified-token cache (maximum size, expire after write),
 * registered for the native image; OAuthModeTest fails when the cache's options change and they do not.
 */
@ApplicationScoped
@RegisterForReflection(classNames = {"com.github.benmanes.caffeine.cache.SSMSW", "com.github.benmanes.caffeine.cache.PSWMS"})
public class Authentication {
    private static final Logger LOG = Logger.getLogger(Authentication.class);

    private final Optional<ResourceServer> server;
    private final Vertx vertx;

    public Authentication(ProxyConfig config, Vertx vertx) {
        this.vertx = vertx;
        this.server = AuthSettings.read(config.auth(), "manifold.proxy").map(ResourceServer::new);
    }

    void announce(@Observes StartupEvent event) {
        if (server.isEmpty()) {
            LOG.warn("Authentication is OFF (manifold.proxy.auth.mode=anonymous): anyone who can reach the"
                    + " proxy-runner can use its routes. Set manifold.proxy.auth.mode=oauth for production.");
        } else {
            LOG.infof("OAuth resource-server mode: resource %s, issuer %s", server.get().settings().resource(),
                    server.get().settings().issuer());
        }
    }

    void routes(@Observes Router router) {
        server.ifPresent(s -> {
            router.get(s.metadataPath()).handler(this::metadata);
            if (!s.metadataPath().equals(ResourceServer.WELL_KNOWN)) {
                router.get(ResourceServer.WELL_KNOWN).handler(this::metadata);
            }
        });
    }

    private void metadata(RoutingContext ctx) {
        ctx.response().putHeader("Content-Type", "application/json").putHeader("Cache-Control", "max-age=300")
                .end(Buffer.buffer(server.orElseThrow().metadata()));
    }

    /** The resource-server checks, when on. */
    public Optional<ResourceServer> resourceServer() {
        return server;
    }

    /** Runs {@code then} with the caller, or answers 401/403 (503 when too many verifications wait). */
    void authenticate(Exchange ex, Consumer<Caller> then) {
        if (server.isEmpty()) {
            then.accept(Caller.ANONYMOUS);
            return;
        }
        ResourceServer rs = server.get();
        String header = ex.req.getHeader("Authorization");
        Optional<ResourceServer.Outcome> quick = rs.quick(header);
        if (quick.isPresent()) {
            decide(ex, quick.get(), then);
            return;
        }
        if (!rs.admit()) {
            ex.out.putHeader("Retry-After", "1");
            ex.error(503, null, JsonRpcErrors.SERVER_ERROR, "Too many token verifications in progress, retry shortly",
                    ProxyOutcome.UNAUTHORIZED);
            return;
        }
        vertx.<ResourceServer.Outcome>executeBlocking(() -> rs.verify(header), false).onComplete(done -> {
            rs.release();
            if (done.succeeded()) {
                decide(ex, done.result(), then);
            } else {
                LOG.debugf("Token verification failed: %s", done.cause());
                decide(ex, new ResourceServer.Outcome.Denied(401, "Bearer resource_metadata=\"" + rs.metadataUrl()
                        + "\", error=\"invalid_token\"", "Unauthorized: the token could not be verified"), then);
            }
        });
    }

    private static void decide(Exchange ex, ResourceServer.Outcome outcome, Consumer<Caller> then) {
        if (outcome instanceof ResourceServer.Outcome.Allowed allowed) {
            then.accept(allowed.caller());
        } else if (outcome instanceof ResourceServer.Outcome.Denied denied) {
            ex.out.putHeader("WWW-Authenticate", denied.challenge());
            ex.error(denied.status(), null, denied.status() == 403 ? JsonRpcErrors.FORBIDDEN : JsonRpcErrors.UNAUTHORIZED,
                    denied.message(), ProxyOutcome.UNAUTHORIZED);
        }
    }
}
