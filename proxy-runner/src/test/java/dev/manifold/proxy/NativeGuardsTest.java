package dev.manifold.proxy;

import dev.manifold.contracts.nativeguard.NativeImageGuards;
import dev.manifold.proxy.session.MemorySessionStore;
import dev.manifold.proxy.session.Sessions;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Native-image rules checked on the proxy-runner's compiled main classes, without GraalVM (docs/build.md, "Native").
 * The Caffeine registrations themselves are checked in {@code session.SessionCachesNativeTest}.
 */
class NativeGuardsTest {

    /** Records that are never bound by Jackson, with the reason; every other record must be registered. */
    private static final Map<String, String> NOT_JACKSON_BOUND = Map.of(
            "dev.manifold.proxy.route.Route", "the routing table's in-memory entry",
            "dev.manifold.proxy.route.PodTarget", "built from EndpointSlices or RoutesFile.PodSpec, never parsed",
            "dev.manifold.proxy.route.KubernetesRoutes$Watched", "an informer and its workload, in memory",
            "dev.manifold.proxy.http.SessionRouter$Answer", "a pod's response in flight");

    @Test
    void noMainClassHoldsARandomGeneratorStatically() {
        NativeImageGuards.assertNoStaticRandom(ProxyConfig.class);
    }

    @Test
    void everyTypeTokenIsRegisteredForReflection() {
        NativeImageGuards.assertTypeTokensRegistered(ProxyConfig.class);
    }

    @Test
    void everyTypeJacksonBindsIsRegisteredForReflection() {
        NativeImageGuards.assertJacksonTypesRegistered(ProxyConfig.class, NOT_JACKSON_BOUND);
    }

    @Test
    void everyClassThatBuildsACaffeineCacheHasItsRegistrationChecked() {
        assertEquals(Set.of(Sessions.class.getName(), MemorySessionStore.class.getName()),
                NativeImageGuards.classesReferencing(ProxyConfig.class, "com/github/benmanes/caffeine/cache/Caffeine"),
                "a new Caffeine builder needs @RegisterForReflection(classNames = ...) for its generated classes "
                        + "and a check in SessionCachesNativeTest");
    }
}
