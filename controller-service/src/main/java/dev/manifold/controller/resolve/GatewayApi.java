package dev.manifold.controller.resolve;

import dev.manifold.controller.config.ControllerConfig;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.util.Locale;

/**
 * Whether this cluster serves the Gateway API's HTTPRoute. Decided once (discovery, at first use): a controller on
 * a cluster without the Gateway API CRDs must neither open an HTTPRoute watch (it would fail forever) nor pretend
 * that an HTTPRoute target could resolve. Never writes anything.
 */
@ApplicationScoped
public class GatewayApi {
    private static final Logger LOG = Logger.getLogger(GatewayApi.class);

    /** The Accepted condition's reason for an HTTPRoute target on a cluster without the Gateway API. */
    public static final String MISSING_REASON = "GatewayApiMissing";

    private final KubernetesClient client;
    private final String setting;
    private Boolean served;

    public GatewayApi(KubernetesClient client, ControllerConfig config) {
        this.client = client;
        this.setting = config.gatewayApi().trim().toLowerCase(Locale.ROOT);
        if (!setting.equals("auto") && !setting.equals("true") && !setting.equals("false")) {
            throw new IllegalArgumentException("manifold.controller.gateway-api must be auto, true or false, not '"
                    + config.gatewayApi() + "'");
        }
    }

    /** Whether HTTPRoutes (gateway.networking.k8s.io/v1) exist here. */
    public synchronized boolean served() {
        if (served == null) {
            served = detect();
        }
        return served;
    }

    private boolean detect() {
        if (!setting.equals("auto")) {
            return Boolean.parseBoolean(setting);
        }
        try {
            boolean found = client.supports(HTTPRoute.class);
            if (found) {
                LOG.info("the Gateway API (HTTPRoute, gateway.networking.k8s.io/v1) is served: watching HTTPRoutes");
            } else {
                LOG.warn("the Gateway API CRDs (HTTPRoute, gateway.networking.k8s.io/v1) are not installed: HTTPRoutes"
                        + " are not watched, and MCPServers with an HTTPRoute target are not Accepted ("
                        + MISSING_REASON + "); install the CRDs and restart the controller to use them");
            }
            return found;
        } catch (KubernetesClientException e) {
            // Discovery failed outright (the API server is unreachable): assume served, as before this check, so a
            // blip at start-up never turns a working install's routes off; the watch reports its own errors.
            LOG.warnf("cannot tell whether the Gateway API is installed (%s); assuming it is", e.getMessage());
            return true;
        }
    }
}
