package dev.manifold.runtime;

import io.fabric8.kubernetes.client.informers.ResourceEventHandler;

/** Small adapters for fabric8 informers, shared by the services that watch Kubernetes objects. */
public final class Informers {

    private Informers() {
    }

    /**
     * An event handler that runs {@code onChange} on every add, update and delete, for a consumer that re-reads the
     * informer's whole cache (an index, a ready set) rather than applying each event.
     */
    public static <T> ResourceEventHandler<T> onAnyChange(Runnable onChange) {
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(T obj) {
                onChange.run();
            }

            @Override
            public void onUpdate(T oldObj, T newObj) {
                onChange.run();
            }

            @Override
            public void onDelete(T obj, boolean deletedFinalStateUnknown) {
                onChange.run();
            }
        };
    }
}
