package dev.manifold.broker.http;

import dev.manifold.broker.reply.Exchange;
import dev.manifold.broker.settings.BrokerConfig;
import dev.manifold.broker.upstream.JsonRpc;
import dev.manifold.runtime.auth.AuthSettings;
import dev.manifold.runtime.auth.Caller;
import dev.manifold.runtime.auth.RequestAuthentication;
import dev.manifold.runtime.auth.ResourceServer;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.util.Optional;
import java.util.function.Consumer;

/**
 * Who is calling: in OAuth resource-server mode ({@code manifold.broker.auth.mode=oauth}) every request on
 * {@code /mcp} needs a bearer token that runtime's {@link RequestAuthentication} accepts, and the protected-resource
 * metadata is served at its well-known path; otherwise every caller is {@link Caller#ANONYMOUS}, and the start says
 * so once at WARN. A rejection is a 401 or 403 with the {@code WWW-Authenticate} challenge and a JSON-RPC error body,
 * decided before any session work.
 */
@ApplicationScoped
public class Authentication {
    static final String PREFIX = "manifold.broker";

    private final RequestAuthentication auth;

    public Authentication(BrokerConfig config, Vertx vertx) {
        this.auth = new RequestAuthentication(AuthSettings.read(config.auth(), PREFIX), vertx);
    }

    void announce(@Observes StartupEvent event) {
        auth.announce(PREFIX + ".auth.mode", "/mcp");
    }

    void routes(@Observes Router router) {
        auth.serveMetadata(router);
    }

    /** The resource-server checks, when on: the metrics and the native-image check read it. */
    public Optional<ResourceServer> resourceServer() {
        return auth.resourceServer();
    }

    /** Runs {@code then} with the caller, or answers 401/403 (503 when too many verifications wait). */
    void authenticate(Exchange ex, Consumer<Caller> then) {
        String authorization = ex.ctx.request().getHeader("Authorization");
        auth.authenticate(authorization, caller -> {
            ex.client = dev.manifold.broker.credentials.ClientToken.of(authorization,
                    caller.issuer() == null ? null : caller.key());
            then.accept(caller);
        }, (status, challenge, code, message) -> {
            if (challenge != null) {
                ex.ctx.response().putHeader("WWW-Authenticate", challenge);
            } else {
                ex.ctx.response().putHeader("Retry-After", "1");
            }
            ex.reply(status, JsonRpc.error(null, code, message),
                    status == 403 ? "forbidden" : status == 503 ? "unavailable" : "unauthorized");
        });
    }
}
