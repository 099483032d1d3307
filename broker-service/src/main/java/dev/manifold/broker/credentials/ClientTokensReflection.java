package dev.manifold.broker.credentials;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * The classes Caffeine loads by name for {@link ClientTokens}' cache of exchanged tokens (maximum size, a per-entry
 * expiry, asynchronous), registered for the native image. ClientTokensTest fails when the cache's options change
 * and this list does not.
 */
@RegisterForReflection(classNames = {"com.github.benmanes.caffeine.cache.SSMSA", "com.github.benmanes.caffeine.cache.PSWMW"})
final class ClientTokensReflection {
    private ClientTokensReflection() {
    }
}
