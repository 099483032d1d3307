package dev.manifold.broker.credentials;

import dev.manifold.contracts.CredentialRef;

/**
 * Where a backend's credential comes from. A source names the credential and never holds its value, so it is safe
 * to log, to show in health output and to keep in memory for as long as the config is in force; the value is read
 * at each connect and each request ({@link BackendCredentials#resolve}).
 */
public sealed interface CredentialSource {

    /** The request header the value goes in; {@code null} means {@code Authorization: Bearer <value>}. */
    String header();

    /** What an operator is told: the Secret, variable or file, never the value. */
    String describe();

    /** A key of a Kubernetes Secret, as the controller publishes it ({@code credentialRef}). */
    record SecretKey(CredentialRef ref, String defaultNamespace) implements CredentialSource {
        public String namespace() {
            return ref.namespace() != null ? ref.namespace() : defaultNamespace;
        }

        @Override
        public String header() {
            return ref.header();
        }

        @Override
        public String describe() {
            return "Secret " + namespace() + "/" + ref.name() + " key " + ref.key();
        }
    }

    /** An environment variable of the broker's process (standalone {@code credential: {env: NAME}}). */
    record EnvVar(String name, String header) implements CredentialSource {
        @Override
        public String describe() {
            return "environment variable " + name;
        }
    }

    /** A file, read at each connect (standalone {@code credential: {file: PATH}}). */
    record File(String path, String header) implements CredentialSource {
        @Override
        public String describe() {
            return "file " + path;
        }
    }
}
