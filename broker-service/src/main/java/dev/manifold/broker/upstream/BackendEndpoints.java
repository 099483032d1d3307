package dev.manifold.broker.upstream;

import dev.manifold.broker.settings.BrokerConfig;
import dev.manifold.contracts.ServerEntry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.net.URI;
import java.net.URISyntaxException;

/**
 * Decides where the broker reaches each configured server. An entry with a {@code url} is reached there. A workload
 * entry (a server the controller runs as a StatefulSet) has no URL of its own: it is reached through the
 * proxy-runner at {@code <proxy-runner-url>/<id>/mcp}, the proxy-runner's route for server id
 * {@code namespace/name}, so every exchange (discovery, probes, client sessions, GET streams, DELETEs) goes through
 * the component that pins sessions to pods. Never changes the published config: it resolves the copy the broker
 * connects, the same way for the same inputs, so an unchanged entry keeps its hash and is not reconnected.
 */
@ApplicationScoped
public class BackendEndpoints {

    private final String proxyRunnerUrl;

    @Inject
    public BackendEndpoints(BrokerConfig config) {
        this(config.proxyRunnerUrl().orElse(null));
    }

    /** {@code proxyRunnerUrl}: base URL of the proxy-runner, or {@code null} when none is configured. */
    public BackendEndpoints(String proxyRunnerUrl) {
        this.proxyRunnerUrl = proxyRunnerUrl == null || proxyRunnerUrl.isBlank() ? null : checkedBase(proxyRunnerUrl.trim());
    }

    /** The entry as the broker connects it: a workload entry gets its proxy-runner URL; others are returned as they are. */
    public ServerEntry resolve(ServerEntry entry) {
        if (entry.url() != null || entry.workload() == null || proxyRunnerUrl == null) {
            return entry;
        }
        return new ServerEntry(entry.id(), entry.toolPrefix(), workloadUrl(entry), entry.enabled(), entry.toolFilter(),
                entry.credentialRef(), entry.protocolHint(), entry.workload());
    }

    /**
     * Why an enabled entry cannot be connected, or {@code null} when it can. Only a workload entry without a
     * configured proxy-runner has no address.
     */
    public static String unreachableReason(ServerEntry resolved) {
        if (resolved.url() != null) {
            return null;
        }
        return "workload server " + resolved.id() + " is reached through the proxy-runner, and "
                + "manifold.broker.proxy-runner-url (MANIFOLD_BROKER_PROXY_RUNNER_URL) is not set";
    }

    private String workloadUrl(ServerEntry entry) {
        String id = entry.id();
        // A controller-published id is always namespace/name; a bare name is placed in the workload's namespace.
        String route = id.indexOf('/') >= 0 ? id : entry.workload().namespace() + "/" + id;
        return proxyRunnerUrl + "/" + route + "/mcp";
    }

    private static String checkedBase(String url) {
        String base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        try {
            URI uri = new URI(base);
            String scheme = uri.getScheme();
            if (!("http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme)) || uri.getHost() == null
                    || uri.getQuery() != null || uri.getFragment() != null) {
                throw new IllegalArgumentException("manifold.broker.proxy-runner-url must be an absolute http(s) URL "
                        + "without query or fragment, was '" + url + "'");
            }
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("manifold.broker.proxy-runner-url is not a URL: '" + url + "' ("
                    + e.getReason() + ")", e);
        }
        return base;
    }
}
