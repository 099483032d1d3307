package dev.manifold.proxy.http;

import io.quarkus.vertx.VertxOptionsCustomizer;
import io.vertx.core.VertxOptions;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * One event loop per available processor unless {@code quarkus.vertx.event-loops-pool-size} is set. Quarkus'
 * default is two per processor; for a proxy whose every request is pure event-loop work that only adds context
 * switches (bench/run.sh on 2 cores: 4 loops 0.14-0.18x nginx's req/s, 2 loops 0.31-0.37x, same runs).
 */
@ApplicationScoped
public class EventLoops implements VertxOptionsCustomizer {

    static final String PROPERTY = "quarkus.vertx.event-loops-pool-size";

    /** The number of event loops the proxy-runner runs with. */
    static int count() {
        return ConfigProvider.getConfig().getOptionalValue(PROPERTY, Integer.class)
                .orElse(Runtime.getRuntime().availableProcessors());
    }

    @Override
    public void accept(VertxOptions options) {
        options.setEventLoopPoolSize(count());
    }
}
