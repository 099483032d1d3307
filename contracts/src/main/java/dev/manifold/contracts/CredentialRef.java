package dev.manifold.contracts;

/**
 * A reference to a Kubernetes Secret key holding a backend credential. Never the secret value itself:
 * the config is published to a ConfigMap and Redis, and must stay safe to log.
 */
public record CredentialRef(String namespace, String name, String key) {
    public CredentialRef {
        if (name == null || name.isBlank()) {
            throw new ConfigValidationException("credentialRef.name", "must be set");
        }
        if (key == null || key.isBlank()) {
            throw new ConfigValidationException("credentialRef.key", "must be set");
        }
    }
}
