package dev.manifold.controller;

import dev.manifold.contracts.nativeguard.NativeImageGuards;
import dev.manifold.controller.api.v1alpha1.MCPServer;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Native-image rules checked on the controller's compiled main classes, without GraalVM (docs/build.md, "Native"). */
class NativeGuardsTest {

    /** Records that are never bound by Jackson, with the reason; every other record must be registered. */
    private static final Map<String, String> NOT_JACKSON_BOUND = Map.of(
            "dev.manifold.controller.resolve.TargetResolver$Resolution", "turned into conditions, never serialized");

    @Test
    void noMainClassHoldsARandomGeneratorStatically() {
        NativeImageGuards.assertNoStaticRandom(MCPServer.class);
    }

    @Test
    void everyTypeTokenIsRegisteredForReflection() {
        NativeImageGuards.assertTypeTokensRegistered(MCPServer.class);
    }

    @Test
    void everyTypeJacksonBindsIsRegisteredForReflection() {
        NativeImageGuards.assertJacksonTypesRegistered(MCPServer.class, NOT_JACKSON_BOUND);
    }

    @Test
    void noClassBuildsACaffeineCache() {
        assertEquals(Set.of(),
                NativeImageGuards.classesReferencing(MCPServer.class, "com/github/benmanes/caffeine/cache/Caffeine"),
                "a Caffeine builder needs @RegisterForReflection(classNames = ...) for its generated classes and a "
                        + "check like the proxy-runner's SessionCachesNativeTest");
    }
}
