package dev.manifold.broker.http;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * The classes Caffeine loads by name for the verified-token cache of runtime's {@code ResourceServer} (maximum size,
 * expire after write), registered for the native image. OAuthModeTest fails when that cache's options change and
 * this list does not.
 */
@RegisterForReflection(classNames = {"com.github.benmanes.caffeine.cache.SSMSW", "com.github.benmanes.caffeine.cache.PSWMS"})
final class AuthenticationReflection {
    private AuthenticationReflection() {
    }
}
