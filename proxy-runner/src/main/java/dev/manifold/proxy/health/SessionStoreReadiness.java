package dev.manifold.proxy.health;

import dev.manifold.proxy.ProxyConfig;
import dev.manifold.proxy.session.Sessions;
import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Readiness of the session store: DOWN while Redis does not answer a PING within the Redis timeout. Sessions
 * already cached keep flowing meanwhile; new sessions get 503 until it is UP again.
 */
@Readiness
@ApplicationScoped
public class SessionStoreReadiness implements AsyncHealthCheck {

    private final Sessions sessions;
    private final ProxyConfig config;

    public SessionStoreReadiness(Sessions sessions, ProxyConfig config) {
        this.sessions = sessions;
        this.config = config;
    }

    @Override
    public Uni<HealthCheckResponse> call() {
        String kind = config.sessionStore().name().toLowerCase();
        return sessions.store().ping()
                .onFailure().recoverWithItem(false)
                .map(up -> HealthCheckResponse.named("session-store").status(up).withData("store", kind).build());
    }
}
