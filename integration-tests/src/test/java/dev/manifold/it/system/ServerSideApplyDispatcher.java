package dev.manifold.it.system;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.util.List;

/**
 * The mock API server's CRUD dispatcher, plus server-side apply as a single field manager sees it: an apply patch
 * creates the object when it is absent and is merged into it (JSON merge patch) when it exists. The fabric8 mock
 * answers apply patches with 415, and the packaged controller applies with SSA: {@code quarkus.operator-sdk.enable-ssa}
 * is fixed at build time, so the production jar cannot be told otherwise. Field ownership and conflicts between
 * managers are not modelled: in these tests the controller is the only writer of what it applies.
 */
final class ServerSideApplyDispatcher extends KubernetesCrudDispatcher {

    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    ServerSideApplyDispatcher() {
        super(List.of());
    }

    @Override
    public MockResponse handlePatch(RecordedRequest request) {
        String type = request.getHeader("Content-Type");
        if (type == null || !type.startsWith("application/apply-patch")) {
            return super.handlePatch(request);
        }
        String path = request.getPath();
        String plainPath = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;

        // The body is YAML or JSON; both parse here, and the CRUD dispatcher wants JSON.
        String json = SERIALIZATION.asJson(SERIALIZATION.unmarshal(request.getUtf8Body(),
                GenericKubernetesResource.class));
        boolean status = plainPath.endsWith("/status");
        if (handleGet(status ? plainPath.substring(0, plainPath.length() - "/status".length()) : plainPath).code()
                == 404) {
            if (status) {
                return new MockResponse().setResponseCode(404);
            }
            String collection = plainPath.substring(0, plainPath.lastIndexOf('/'));
            return handleCreate(rewrite(request, HttpMethod.POST, collection, "application/json", json));
        }
        // Without its query (fieldManager, force): the CRUD dispatcher recognises a status path only without one.
        return super.handlePatch(rewrite(request, HttpMethod.PATCH, plainPath, "application/merge-patch+json", json));
    }

    private static RecordedRequest rewrite(RecordedRequest request, HttpMethod method, String path, String type,
            String body) {
        Headers headers = request.getHeaders().newBuilder().set("Content-Type", type).build();
        return new RecordedRequest(request.getHttpVersion(), method, path, headers, new Buffer().writeUtf8(body));
    }
}
