package dev.manifold.runtime.auth;

import io.vertx.core.Vertx;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The one request-authentication step of the broker and the proxy-runner, around {@link ResourceServer}: anonymous
 * when no resource server is configured; otherwise a token seen before is decided on the caller's thread, a new one
 * is verified on a worker (at most {@code max-pending-verifications} at once, then 503), and a rejection carries the
 * RFC 6750 challenge. Each service maps a {@link Rejection} onto its own JSON-RPC error reply and metrics outcome.
 */
public final class RequestAuthentication {
    private static final Logger LOG = Logger.getLogger(RequestAuthentication.class);

    /** How a service answers a request that is not let through. */
    public interface Rejection {
        /**
         * @param status          401, 403, or 503 when too many verifications are in progress
         * @param wwwAuthenticate the challenge for 401/403, {@code null} for 503 (then {@code Retry-After: 1} is due)
         * @param code            the JSON-RPC error code
         * @param message         the JSON-RPC error message
         */
        void reject(int status, String wwwAuthenticate, int code, String message);
    }

    private final Optional<ResourceServer> server;
    private final Vertx vertx;

    /** {@code settings}: what {@link AuthSettings#read} made of the service's {@code auth.*} keys. */
    public RequestAuthentication(Optional<ResourceServer.Settings> settings, Vertx vertx) {
        this.server = settings.map(ResourceServer::new);
        this.vertx = vertx;
    }

    /** The resource-server checks, when on (metrics and the native-image check read it). */
    public Optional<ResourceServer> resourceServer() {
        return server;
    }

    /**
     * Says once, at start-up, which mode is on: anonymous at WARN ({@code modeKey} names the key to set,
     * {@code reach} what anyone can use), OAuth at INFO with its resource and issuer.
     */
    public void announce(String modeKey, String reach) {
        if (server.isEmpty()) {
            LOG.warnf("Authentication is OFF (%s=anonymous): anyone who can reach %s can use it. Set %s=oauth for"
                    + " production.", modeKey, reach, modeKey);
        } else {
            LOG.infof("OAuth resource-server mode: resource %s, issuer %s", server.get().settings().resource(),
                    server.get().settings().issuer());
        }
    }

    /** The paths the protected-resource metadata ({@link ResourceServer#metadata()}) is served at; none when off. */
    public List<String> metadataPaths() {
        return server.map(s -> s.metadataPath().equals(ResourceServer.WELL_KNOWN) ? List.of(s.metadataPath())
                : List.of(s.metadataPath(), ResourceServer.WELL_KNOWN)).orElse(List.of());
    }

    /** Serves the protected-resource metadata on {@code router} at {@link #metadataPaths()}; nothing when off. */
    public void serveMetadata(io.vertx.ext.web.Router router) {
        metadataPaths().forEach(path -> router.get(path).handler(ctx -> ctx.response()
                .putHeader("Content-Type", "application/json").putHeader("Cache-Control", "max-age=300")
                .end(io.vertx.core.buffer.Buffer.buffer(server.orElseThrow().metadata()))));
    }

    /** Runs {@code then} with the caller of a request bearing {@code authorization}, or rejects it. */
    public void authenticate(String authorization, Consumer<Caller> then, Rejection rejection) {
        if (server.isEmpty()) {
            then.accept(Caller.ANONYMOUS);
            return;
        }
        ResourceServer rs = server.get();
        Optional<ResourceServer.Outcome> quick = rs.quick(authorization);
        if (quick.isPresent()) {
            decide(quick.get(), then, rejection);
            return;
        }
        if (!rs.admit()) {
            rejection.reject(503, null, dev.manifold.contracts.JsonRpcErrors.SERVER_ERROR,
                    "Too many token verifications in progress, retry shortly");
            return;
        }
        vertx.<ResourceServer.Outcome>executeBlocking(() -> rs.verify(authorization), false).onComplete(done -> {
            rs.release();
            if (done.succeeded()) {
                decide(done.result(), then, rejection);
            } else {
                LOG.debugf("Token verification failed: %s", done.cause());
                decide(new ResourceServer.Outcome.Denied(401, "Bearer resource_metadata=\"" + rs.metadataUrl()
                        + "\", error=\"invalid_token\"", "Unauthorized: the token could not be verified"), then, rejection);
            }
        });
    }

    private static void decide(ResourceServer.Outcome outcome, Consumer<Caller> then, Rejection rejection) {
        if (outcome instanceof ResourceServer.Outcome.Allowed allowed) {
            then.accept(allowed.caller());
        } else if (outcome instanceof ResourceServer.Outcome.Denied denied) {
            rejection.reject(denied.status(), denied.challenge(), denied.status() == 403
                    ? dev.manifold.contracts.JsonRpcErrors.FORBIDDEN : dev.manifold.contracts.JsonRpcErrors.UNAUTHORIZED,
                    denied.message());
        }
    }
}
