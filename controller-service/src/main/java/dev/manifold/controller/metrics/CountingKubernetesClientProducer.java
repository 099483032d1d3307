package dev.manifold.controller.metrics;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/**
 * Replaces Quarkus's default {@link KubernetesClient} with the same client plus the {@link ApiWriteCounter}
 * interceptor. The operator SDK, the dependents, the publisher and the event recorder all inject this bean,
 * so every API write the controller makes is counted here.
 */
@Singleton
public class CountingKubernetesClientProducer {

    @Produces
    @Singleton
    KubernetesClient kubernetesClient(KubernetesSerialization serialization, Config config, ApiWriteCounter writes) {
        return new KubernetesClientBuilder()
                .withKubernetesSerialization(serialization)
                .withConfig(config)
                .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("manifold-api-writes", writes))
                .build();
    }

    void close(@Disposes KubernetesClient client) {
        client.close();
    }
}
