package dev.manifold.contracts.nativeguard;

import dev.manifold.contracts.GatewayConfig;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The contracts are compiled into every service's native image, so they follow the same static-state rule. Their
 * Jackson types are registered by each service that binds them (see the services' NativeGuardsTest).
 */
class ContractsNativeGuardsTest {

    @Test
    void noMainClassHoldsARandomGeneratorStatically() {
        NativeImageGuards.assertNoStaticRandom(GatewayConfig.class);
    }

    @Test
    void randomTypesAreRecognisedDirectlyInArraysAndAsTypeArguments() throws Exception {
        class Holder {
            java.security.SecureRandom secure;
            java.util.SplittableRandom[] splittable;
            AtomicReference<java.util.concurrent.ThreadLocalRandom> threadLocal;
            List<? extends java.util.Random> wildcard;
            Map<String, String> unrelated;
        }
        for (String name : List.of("secure", "splittable", "threadLocal", "wildcard")) {
            assertTrue(NativeImageGuards.mentionsRandom(Holder.class.getDeclaredField(name).getGenericType()), name);
        }
        assertFalse(NativeImageGuards.mentionsRandom(Holder.class.getDeclaredField("unrelated").getGenericType()));
    }

    @Test
    void contractTypesAreFoundInClassFileBytes() {
        byte[] bytes = "\u0001\u0000\u0020Ldev/manifold/contracts/ServerEntry;Ljava/util/List;".getBytes();
        assertEquals(java.util.Set.of("dev.manifold.contracts.ServerEntry"),
                NativeImageGuards.projectTypesNamedIn(bytes, "dev/manifold/contracts/"));
    }
}
