package dev.manifold.broker.session;

import com.github.benmanes.caffeine.cache.Cache;
import dev.manifold.broker.testing.FixtureBackends;
import dev.manifold.contracts.nativeguard.NativeImageGuards;
import io.quarkus.arc.ClientProxy;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The caches {@link ClientSessions} builds at start name, in {@link ClientSessionsReflection}, the generated classes
 * Caffeine loads by name for their options. The caches are read from the running bean (every field holding a
 * Caffeine cache), so the check follows the builder as written, with the application's configuration.
 */
@QuarkusTest
@WithTestResource(FixtureBackends.class)
class ClientSessionsNativeTest {

    @Inject
    ClientSessions sessions;

    @Test
    void clientSessionCacheGeneratedClassesAreRegistered() throws IllegalAccessException {
        ClientSessions bean = ClientProxy.unwrap(sessions);
        List<Map<?, ?>> caches = new ArrayList<>();
        for (Field f : ClientSessions.class.getDeclaredFields()) {
            if (Cache.class.isAssignableFrom(f.getType())) {
                f.setAccessible(true);
                caches.add(((Cache<?, ?>) f.get(bean)).asMap());
            }
        }
        assertFalse(caches.isEmpty(), "ClientSessions holds no Caffeine cache any more: update this test");
        for (Map<?, ?> cache : caches) {
            NativeImageGuards.assertCacheRegistered(ClientSessionsReflection.class, cache);
        }
    }
}
