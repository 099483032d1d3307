package dev.manifold.broker.http;

import dev.manifold.broker.reply.Exchange;
import dev.manifold.broker.upstream.JsonRpc;
import dev.manifold.contracts.JsonRpcErrors;
import dev.manifold.runtime.auth.AuthSettings;
import dev.manifold.runtime.auth.Caller;
import dev.manifold.runtime.auth.ResourceServer;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import dev.manifold.broker.settings.BrokerConfig;
import org.jboss.logging.Logger;

import java.util.Optional;
import java.util.function.Consumer;

/**
 * Who is calling: in OAuth resource-server mode ({@code manifold.broker.auth.mode=oauth}) every request on
 * {@code /mcp} needs a bearer token that {@link ResourceServer} accepts, and the protected-resource metadata is
 * served at its well-known path; otherwise every caller is {@link Caller#ANONYMOUS}, and the start says so once at
 * WARN. A rejection is a 401 or 403 with the {@code WWW-Authenticate} challenge and a JSON-RPC error body, decided
 * before any session work.
 */
@ApplicationScoped
public class Authentication {
    private static final Logger LOG = Logger.getLogger(Authentication.class);
    static final String PREFIX = "manifold.broker";

    private final Optional<ResourceServer> server;
    private final Vertx vertx;

    public Authentication(BrokerConfig config, Vertx vertx) {
        this.vertx = vertx;
        this.server = AuthSettings.read(config.auth(), PREFIX).map(ResourceServer::new);
    }

    void announce(@Observes StartupEvent event) {
        if (server.isEmpty()) {
            LOG.warn("Authentication is OFF (manifold.broker.auth.mode=anonymous): anyone who can reach /mcp can use"
                    + " it. Set manifold.broker.auth.mode=oauth for production.");
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
                .end(io.vertx.core.buffer.Buffer.buffer(server.orElseThrow().metadata()));
    }

    /** The resource-server checks, when on: the metrics and the native-image check read it. */
    public Optional<ResourceServer> resourceServer() {
        return server;
    }

    /** Runs {@code then} with the caller, or answers 401/403. */
    void authenticate(Exchange ex, Consumer<Caller> then) {
        if (server.isEmpty()) {
            then.accept(Caller.ANONYMOUS);
            return;
        }
        ResourceServer rs = server.get();
        String header = ex.ctx.request().getHeader("Authorization");
        Optional<ResourceServer.Outcome> quick = rs.quick(header);
        if (quick.isPresent()) {
            decide(ex, quick.get(), then);
            return;
        }
        if (!rs.admit()) {
            ex.ctx.response().putHeader("Retry-After", "1");
            ex.reply(503, JsonRpc.error(null, JsonRpcErrors.SERVER_ERROR,
                    "Too many token verifications in progress, retry shortly"), "unavailable");
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
            ex.ctx.response().putHeader("WWW-Authenticate", denied.challenge());
            ex.reply(denied.status(), JsonRpc.error(null, denied.status() == 403 ? JsonRpcErrors.FORBIDDEN
                    : JsonRpcErrors.UNAUTHORIZED, denied.message()), denied.status() == 403 ? "forbidden" : "unauthorized");
        }
    }
}
