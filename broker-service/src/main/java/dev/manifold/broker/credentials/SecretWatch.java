package dev.manifold.broker.credentials;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Watches exactly the Secrets the published config references: one informer per Secret, restricted to its name
 * (a {@code metadata.name} field selector), so the broker caches no other Secret and its RBAC can be narrowed to
 * those names. An informer starts when a config first references its Secret and stops when none does. A failed
 * list or watch (the Secret's namespace not granted, the API server away) is retried by the informer itself, and
 * reported as the reason the credential cannot be read.
 */
final class SecretWatch implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(SecretWatch.class);

    private final KubernetesClient client;
    private final Consumer<String> changed;
    /** namespace/name → its informer. */
    private final Map<String, Watched> watched = new HashMap<>();

    private static final class Watched {
        final SharedIndexInformer<Secret> informer;
        volatile String lastError;

        Watched(SharedIndexInformer<Secret> informer) {
            this.informer = informer;
        }
    }

    /** {@code changed} receives {@code namespace/name} of a Secret that was added, changed or deleted. */
    SecretWatch(KubernetesClient client, Consumer<String> changed) {
        this.client = client;
        this.changed = changed;
    }

    static String id(String namespace, String name) {
        return namespace + "/" + name;
    }

    /** Watches exactly these Secrets ({@code namespace/name}): starts the new informers, stops the unreferenced. */
    synchronized void watchOnly(Set<String> secrets) {
        watched.entrySet().removeIf(e -> {
            if (secrets.contains(e.getKey())) {
                return false;
            }
            e.getValue().informer.stop();
            return true;
        });
        for (String secret : secrets) {
            if (!watched.containsKey(secret)) {
                watched.put(secret, start(secret));
            }
        }
    }

    private Watched start(String secret) {
        int slash = secret.indexOf('/');
        String namespace = secret.substring(0, slash);
        String name = secret.substring(slash + 1);
        SharedIndexInformer<Secret> informer = client.secrets().inNamespace(namespace).withName(name).runnableInformer(0);
        Watched w = new Watched(informer);
        informer.exceptionHandler((started, failure) -> {
            String message = failure.getMessage();
            if (!message.equals(w.lastError)) {
                LOG.warnf("Cannot read Secret %s (retrying): %s", secret, message);
            }
            w.lastError = message;
            return true; // a missing grant may be added later; the informer backs off between attempts
        });
        informer.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Secret obj) {
                w.lastError = null;
                changed.accept(secret);
            }

            @Override
            public void onUpdate(Secret oldObj, Secret newObj) {
                if (!java.util.Objects.equals(oldObj.getMetadata().getResourceVersion(), newObj.getMetadata().getResourceVersion())) {
                    changed.accept(secret);
                }
            }

            @Override
            public void onDelete(Secret obj, boolean deletedFinalStateUnknown) {
                changed.accept(secret);
            }
        });
        informer.start().whenComplete((ok, failure) -> {
            if (failure == null) {
                w.lastError = null;
                changed.accept(secret); // synced: a Secret that is absent is now known to be absent
            }
        });
        return w;
    }

    /**
     * The value of {@code key} in the Secret, or why it cannot be sent. One trailing line break is dropped (the
     * usual leftover of {@code echo … > file; kubectl create secret --from-file}); any other control character
     * makes the value unusable as a header.
     */
    synchronized Read read(String namespace, String name, String key) {
        String secret = id(namespace, name);
        Watched w = watched.get(secret);
        if (w == null) {
            return Read.missing("Secret " + secret + " is not watched");
        }
        if (!w.informer.hasSynced()) {
            return Read.missing("Secret " + secret + " has not been read yet"
                    + (w.lastError == null ? "" : ": " + w.lastError));
        }
        List<Secret> found = w.informer.getStore().list();
        if (found.isEmpty()) {
            return Read.missing("Secret " + secret + " does not exist");
        }
        Secret s = found.get(0);
        String raw = null;
        if (s.getData() != null && s.getData().get(key) != null) {
            try {
                raw = new String(Base64.getDecoder().decode(s.getData().get(key)), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                return Read.missing("Secret " + secret + " key " + key + " is not valid base64");
            }
        } else if (s.getStringData() != null) {
            raw = s.getStringData().get(key);
        }
        if (raw == null) {
            return Read.missing("Secret " + secret + " has no key " + key);
        }
        return Read.of(raw, "Secret " + secret + " key " + key);
    }

    @Override
    public synchronized void close() {
        watched.values().forEach(w -> w.informer.stop());
        watched.clear();
    }

    /** A raw credential read from its source, or why it could not be. */
    record Read(String value, String problem) {
        static Read missing(String problem) {
            return new Read(null, problem);
        }

        /** Trims one trailing line break; refuses empty values and control characters (header injection). */
        static Read of(String raw, String what) {
            String value = raw.endsWith("\r\n") ? raw.substring(0, raw.length() - 2)
                    : raw.endsWith("\n") ? raw.substring(0, raw.length() - 1) : raw;
            if (value.isEmpty()) {
                return missing(what + " is empty");
            }
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c < 0x20 && c != '\t' || c == 0x7f) {
                    return missing(what + " holds a control character, which cannot be sent in a header");
                }
            }
            return new Read(value, null);
        }
    }
}
