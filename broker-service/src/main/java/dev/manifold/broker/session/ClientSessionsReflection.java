package dev.manifold.broker.session;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * The classes Caffeine loads by name for {@link ClientSessions}' cache (maximum size, expire after access, removal
 * listener), registered for the native image: {@code quarkus-caffeine} registers only some of them, and a missing
 * one fails the first cache build with {@code ClassNotFoundException}. ClientSessionsNativeTest fails when the
 * builder's options change and this list does not.
 */
@RegisterForReflection(classNames = {"com.github.benmanes.caffeine.cache.SSLMSA", "com.github.benmanes.caffeine.cache.PSAMS"})
final class ClientSessionsReflection {
    private ClientSessionsReflection() {
    }
}
