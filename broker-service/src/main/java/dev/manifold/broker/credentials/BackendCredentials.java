package dev.manifold.broker.credentials;

import dev.manifold.broker.settings.BrokerConfig;
import dev.manifold.contracts.ServerEntry;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.fabric8.kubernetes.client.KubernetesClient;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The credentials the broker sends to backends. A credential belongs to the URL of the server entry that names it,
 * and is sent on every request to that URL (connects, probes, client sessions, GET streams, DELETEs) and to no
 * other: the wire ({@code McpHttpClient}) asks {@link #resolve} for each request, so a changed Secret, file or
 * variable takes effect on the next request without a config apply. The value is read from its source each time
 * and is never stored in the config, in Redis, in a metric label, in health output or in a log line.
 *
 * <p>In Kubernetes mode an entry's {@code credentialRef} names a Secret key, read through {@link SecretWatch}. In
 * standalone mode the file's {@code credential: {env: NAME}} or {@code {file: PATH}} is used instead. A workload
 * server's pods are reached through the proxy-runner, which never forwards credentials to pods, so a workload
 * entry's {@code credentialRef} is not sent (said once, at WARN).
 */
@ApplicationScoped
public class BackendCredentials {
    private static final Logger LOG = Logger.getLogger(BackendCredentials.class);

    private final java.util.function.Supplier<KubernetesClient> kubernetes;
    private final boolean standaloneMode;
    private final List<Consumer<Set<String>>> listeners = new CopyOnWriteArrayList<>();
    private volatile Map<String, CredentialSource> standalone = Map.of();
    /** url → what is sent there; rebuilt on each config apply. */
    private volatile Map<String, Binding> byUrl = Map.of();
    private final Set<String> warnedWorkloads = new HashSet<>();
    private SecretWatch secrets;
    /**
     * Values read in the last second, so that the wire does not read a file or list a Secret store per request.
     * Cleared whenever a source changes.
     */
    private final Cache<CredentialSource, SecretWatch.Read> reads = Caffeine.newBuilder()
            .maximumSize(4096)
            .expireAfterWrite(Duration.ofSeconds(1))
            .build();

    /** The credential of one URL, and the servers that use it; {@code conflict} when they disagree. */
    private record Binding(CredentialSource source, Set<String> serverIds, String conflict) {
    }

    /** What client sessions' requests carry from the client's own token; {@code null}: nothing, ever. */
    private final ClientTokens clientTokens;

    @Inject
    public BackendCredentials(Instance<KubernetesClient> kubernetes, BrokerConfig config, ClientTokens clientTokens) {
        this(kubernetes::get, config.configFile().isPresent(), clientTokens);
    }

    /** {@code kubernetes} is asked for a client only when a Secret must be read (never in standalone mode). */
    public BackendCredentials(java.util.function.Supplier<KubernetesClient> kubernetes, boolean standaloneMode) {
        this(kubernetes, standaloneMode, null);
    }

    private BackendCredentials(java.util.function.Supplier<KubernetesClient> kubernetes, boolean standaloneMode,
                               ClientTokens clientTokens) {
        this.kubernetes = kubernetes;
        this.standaloneMode = standaloneMode;
        this.clientTokens = clientTokens;
    }

    @PreDestroy
    synchronized void close() {
        if (secrets != null) {
            secrets.close();
        }
    }

    /**
     * Receives the ids of servers whose credential source changed (a Secret added, updated or deleted, or a
     * standalone credential replaced), so that a backend quarantined for want of it is retried at once.
     */
    public void onChanged(Consumer<Set<String>> listener) {
        listeners.add(listener);
    }

    /** The standalone file's credentials, by server id; replaces the previous ones. */
    public void useStandalone(Map<String, CredentialSource> byServerId) {
        Map<String, CredentialSource> previous = standalone;
        standalone = Map.copyOf(byServerId);
        Set<String> changedIds = new TreeSet<>();
        Set<String> ids = new HashSet<>(previous.keySet());
        ids.addAll(byServerId.keySet());
        for (String id : ids) {
            if (!java.util.Objects.equals(previous.get(id), byServerId.get(id))) {
                changedIds.add(id);
            }
        }
        if (!changedIds.isEmpty()) {
            fire(changedIds);
        }
    }

    /**
     * Binds credentials to URLs for the entries now in force, as the broker connects them (workload entries
     * already resolved to their proxy-runner URL), and watches the Secrets they name. Two entries that share a URL
     * but name different credentials get neither: the conflict is the reason both are quarantined.
     */
    public synchronized void configure(Collection<ServerEntry> entries) {
        Map<String, Binding> next = new HashMap<>();
        Set<String> secretIds = new TreeSet<>();
        for (ServerEntry entry : entries) {
            if (!entry.isEnabled() || entry.url() == null) {
                continue;
            }
            CredentialSource source = sourceOf(entry);
            if (source == null) {
                continue;
            }
            if (source instanceof CredentialSource.SecretKey key) {
                secretIds.add(SecretWatch.id(key.namespace(), key.ref().name()));
            }
            next.merge(entry.url(), new Binding(source, Set.of(entry.id()), null), (a, b) -> {
                Set<String> ids = new TreeSet<>(a.serverIds());
                ids.addAll(b.serverIds());
                String conflict = a.conflict() != null || !a.source().equals(b.source())
                        ? "servers " + ids + " share the URL " + entry.url() + " but name different credentials; "
                        + "a credential belongs to a URL, so neither is sent" : null;
                return new Binding(a.source(), Set.copyOf(ids), conflict);
            });
        }
        // An entry without a credential at a URL that has one is sent it too: the credential belongs to the URL.
        byUrl = Map.copyOf(next);
        if (clientTokens != null) {
            clientTokens.configure(entries);
        }
        if (!standaloneMode && (!secretIds.isEmpty() || secrets != null)) {
            secretWatch().watchOnly(secretIds);
        }
    }

    private CredentialSource sourceOf(ServerEntry entry) {
        CredentialSource own = standalone.get(entry.id());
        if (own != null) {
            return own;
        }
        if (entry.credentialRef() == null) {
            return null;
        }
        if (entry.workload() != null) {
            if (warnedWorkloads.add(entry.id())) {
                LOG.warnf("Server %s: its credentialRef is not sent. A workload server is reached through the "
                        + "proxy-runner, which never forwards credentials to its pods", entry.id());
            }
            return null;
        }
        return new CredentialSource.SecretKey(entry.credentialRef(), standaloneMode ? null : kubernetes.get().getNamespace());
    }

    private SecretWatch secretWatch() {
        if (secrets == null) {
            secrets = new SecretWatch(kubernetes.get(), this::secretChanged);
        }
        return secrets;
    }

    private void secretChanged(String secret) {
        Set<String> ids = new TreeSet<>();
        byUrl.values().forEach(b -> {
            if (b.source() instanceof CredentialSource.SecretKey key
                    && SecretWatch.id(key.namespace(), key.ref().name()).equals(secret)) {
                ids.addAll(b.serverIds());
            }
        });
        if (!ids.isEmpty()) {
            fire(ids);
        }
    }

    private void fire(Set<String> ids) {
        reads.invalidateAll();
        listeners.forEach(l -> l.accept(Set.copyOf(ids)));
    }

    /**
     * Puts the credential configured for {@code url}, if any, in a request's headers with {@code putHeader}.
     * Returns why a configured credential cannot be read, or {@code null}.
     */
    public String authorize(String url, java.util.function.BiConsumer<String, String> putHeader) {
        Resolution resolution = resolve(url);
        if (resolution instanceof Resolution.Ready ready) {
            putHeader.accept(ready.credential().header(), ready.credential().value());
        }
        return resolution instanceof Resolution.Missing missing ? missing.reason() : null;
    }

    /**
     * Whether a request on a client's behalf ({@code client} not null) to {@code url} carries the client's token,
     * as it is or exchanged ({@link ClientTokens}); {@code null} is the broker's own traffic, which never does.
     */
    public boolean actsForClient(String url, ClientToken client) {
        return client != null && clientTokensAt(url);
    }

    private boolean clientTokensAt(String url) {
        return clientTokens != null && clientTokens.usesClientToken(url);
    }

    /**
     * The credentials of a GET that resumes a cut-off SSE answer: {@link #authorize}'s, except at a URL that gets
     * client tokens, where the resume carries the {@code Authorization} the cut-off request carried ({@code sent}).
     */
    public void authorizeResume(String url, io.vertx.core.http.RequestOptions options, String sent) {
        authorize(url, options::putHeader); // unreadable now: the resume is refused and the answer fails as cut off
        if (clientTokensAt(url)) {
            options.removeHeader(Credential.AUTHORIZATION);
            if (sent != null) {
                options.putHeader(Credential.AUTHORIZATION, sent);
            }
        }
    }

    /**
     * For a request {@link #actsForClient} is true of, after {@link #authorize}: replaces a credential in
     * {@code Authorization} with what the client's token gives (a credential in another header stays). Completes
     * with {@code null}, or with why the request must not be sent.
     */
    public io.smallrye.mutiny.Uni<String> authorizeForClient(String url, ClientToken client,
                                                             io.vertx.core.http.RequestOptions options) {
        options.removeHeader(Credential.AUTHORIZATION);
        return clientTokens.authorize(url, client, options::putHeader);
    }

    /** Ends a backend's "answered 401" message: which credential it refused, or that none is configured. */
    public String sentFrom(String url) {
        String own = resolve(url) instanceof Resolution.Ready ready ? " to the credential from " + ready.source()
                : " and no credentials are configured";
        return clientTokensAt(url)
                ? own + " (a client's requests carry the client's token: authPassthrough or tokenExchange)" : own;
    }

    /** What to send to {@code url}: nothing, a credential, or why the configured one cannot be read. */
    public Resolution resolve(String url) {
        Binding binding = url == null ? null : byUrl.get(url);
        if (binding == null) {
            return Resolution.NONE;
        }
        if (binding.conflict() != null) {
            return new Resolution.Missing(binding.conflict());
        }
        CredentialSource source = binding.source();
        SecretWatch.Read read = reads.get(source, this::read);
        if (read.problem() != null) {
            return new Resolution.Missing("its credential cannot be read: " + read.problem());
        }
        return new Resolution.Ready(Credential.of(source.header(), read.value()), source.describe());
    }

    /** The cache of read values, for the check that its classes are registered for the native image. */
    Map<?, ?> cacheForNativeCheck() {
        return reads.asMap();
    }

    private SecretWatch.Read read(CredentialSource source) {
        if (source instanceof CredentialSource.EnvVar env) {
            String value = System.getenv(env.name());
            return value == null ? SecretWatch.Read.missing("environment variable " + env.name() + " is not set")
                    : SecretWatch.Read.of(value, "environment variable " + env.name());
        }
        if (source instanceof CredentialSource.File file) {
            try {
                return SecretWatch.Read.of(Files.readString(Path.of(file.path()), StandardCharsets.UTF_8), "file " + file.path());
            } catch (IOException | RuntimeException e) {
                return SecretWatch.Read.missing("file " + file.path() + " cannot be read (" + e.getClass().getSimpleName() + ")");
            }
        }
        CredentialSource.SecretKey key = (CredentialSource.SecretKey) source;
        if (standaloneMode) {
            return SecretWatch.Read.missing(key.describe() + " is a Kubernetes Secret, and the broker runs standalone "
                    + "(use credential: {env: NAME} or {file: PATH} in the config file)");
        }
        SecretWatch watch;
        synchronized (this) {
            watch = secrets;
        }
        return watch == null ? SecretWatch.Read.missing(key.describe() + " is not watched")
                : watch.read(key.namespace(), key.ref().name(), key.ref().key());
    }
}
