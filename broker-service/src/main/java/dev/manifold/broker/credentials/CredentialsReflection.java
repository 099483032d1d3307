package dev.manifold.broker.credentials;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * The classes Caffeine loads by name for {@link BackendCredentials}' read cache (maximum size, expire after write),
 * registered for the native image. BackendCredentialsTest fails when the cache's options change and this list
 * does not.
 */
@RegisterForReflection(classNames = {"com.github.benmanes.caffeine.cache.SSMSW", "com.github.benmanes.caffeine.cache.PSWMS"})
final class CredentialsReflection {
    private CredentialsReflection() {
    }
}
