package dev.manifold.proxy.session;

import com.github.benmanes.caffeine.cache.Cache;
import dev.manifold.contracts.nativeguard.NativeImageGuards;
import org.junit.jupiter.api.Test;

import java.time.Duration;

/**
 * Each cache built with its production options names, in its owner's {@code @RegisterForReflection}, the generated
 * classes Caffeine loads by name for those options. A native executable without them dies at start with
 * {@code ClassNotFoundException: com.github.benmanes.caffeine.cache.SSLMSA}.
 */
class SessionCachesNativeTest {

    @Test
    void sessionCacheGeneratedClassesAreRegistered() {
        Cache<String, Sessions.Cached> cache = Sessions.cacheBuilder(10, Duration.ofMinutes(1), (sid, cached, cause) -> {
        }).build();
        NativeImageGuards.assertCacheRegistered(Sessions.class, cache.asMap());
    }

    @Test
    void memoryStoreGeneratedClassesAreRegistered() {
        Cache<Object, Object> cache = MemorySessionStore.builder(Duration.ofMinutes(1)).build();
        NativeImageGuards.assertCacheRegistered(MemorySessionStore.class, cache.asMap());
    }
}
