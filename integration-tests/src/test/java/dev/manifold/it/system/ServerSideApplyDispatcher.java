package dev.manifold.it.system;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectRulesReviewStatusBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The mock API server's CRUD dispatcher, plus server-side apply as a single field manager sees it. The fabric8 mock
 * answers apply patches with 415, and the packaged controller applies with SSA ({@code quarkus.operator-sdk.enable-ssa}
 * is fixed at build time, so the production jar cannot be told otherwise). Here an apply creates the object when it
 * is absent; otherwise the applied fields are merged into it (RFC 7386: objects merge, lists and values are
 * replaced; on the status subresource the status is replaced) and the result is stored with a PUT. The mock's own
 * merge patch is not used: it appends to lists, which would pile up status conditions. Field ownership and
 * conflicts between managers are not modelled: in these tests the controller is the only writer of what it applies.
 */
final class ServerSideApplyDispatcher extends KubernetesCrudDispatcher {

    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One API request as the server saw it: who (User-Agent), the HTTP method and the path with its query. */
    record ApiRequest(String userAgent, String method, String path) {
    }

    private final java.util.Queue<ApiRequest> requests = new java.util.concurrent.ConcurrentLinkedQueue<>();

    ServerSideApplyDispatcher() {
        super(List.of());
    }

    /** Every request received so far, in order (the RBAC test derives the verbs each service used from them). */
    List<ApiRequest> requests() {
        return List.copyOf(requests);
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
        String agent = request.getHeader("User-Agent");
        requests.add(new ApiRequest(agent == null ? "" : agent, request.getMethod(), request.getPath()));
        return super.dispatch(request);
    }

    /**
     * A SelfSubjectRulesReview is answered as a real API server would for the controller's ServiceAccount with the
     * Lease Role of deploy/base/controller/rbac.yaml (JOSDK checks it before it competes for the lease); the CRUD
     * dispatcher would store it and answer without a status. Everything else is plain CRUD.
     */
    @Override
    public MockResponse handleCreate(RecordedRequest request) {
        if (!request.getPath().contains("/selfsubjectrulesreviews")) {
            return super.handleCreate(request);
        }
        SelfSubjectRulesReview review = SERIALIZATION.unmarshal(request.getBody().readUtf8(), SelfSubjectRulesReview.class);
        review.setStatus(new SubjectRulesReviewStatusBuilder().withIncomplete(false)
                .addNewResourceRule().withApiGroups("coordination.k8s.io").withResources("leases")
                .withVerbs("create", "get", "update").endResourceRule()
                .build());
        return new MockResponse().setResponseCode(201).setHeader("Content-Type", "application/json")
                .setBody(SERIALIZATION.asJson(review));
    }

    @Override
    public MockResponse handlePatch(RecordedRequest request) {
        String type = request.getHeader("Content-Type");
        if (type == null || !type.startsWith("application/apply-patch")) {
            return super.handlePatch(request);
        }
        String path = request.getPath();
        // Without its query (fieldManager, force): the CRUD dispatcher recognises a status path only without one.
        String plainPath = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
        boolean status = plainPath.endsWith("/status");
        String objectPath = status ? plainPath.substring(0, plainPath.length() - "/status".length()) : plainPath;
        // The body is YAML or JSON; both parse here.
        JsonNode applied = JSON.valueToTree(SERIALIZATION.unmarshal(request.getUtf8Body(),
                GenericKubernetesResource.class));
        ((ObjectNode) applied.path("metadata")).remove("resourceVersion");
        MockResponse current = handleGet(objectPath);
        if (current.code() == 404) {
            if (status) {
                return new MockResponse().setResponseCode(404);
            }
            String collection = objectPath.substring(0, objectPath.lastIndexOf('/'));
            return handleCreate(rewrite(request, HttpMethod.POST, collection, applied));
        }
        ObjectNode merged;
        try {
            merged = (ObjectNode) JSON.readTree(current.getBody().readUtf8());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (status) {
            merged.set("status", applied.path("status"));
        } else {
            JsonNode keptStatus = merged.get("status");
            mergeInto(merged, (ObjectNode) applied);
            if (keptStatus != null) {
                merged.set("status", keptStatus);
            }
        }
        return handleUpdate(rewrite(request, HttpMethod.PUT, plainPath, merged));
    }

    /** RFC 7386 merge of {@code patch} into {@code target}. */
    private static void mergeInto(ObjectNode target, ObjectNode patch) {
        for (Iterator<Map.Entry<String, JsonNode>> fields = patch.fields(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> field = fields.next();
            JsonNode existing = target.get(field.getKey());
            if (field.getValue().isNull()) {
                target.remove(field.getKey());
            } else if (existing instanceof ObjectNode into && field.getValue() instanceof ObjectNode from) {
                mergeInto(into, from);
            } else {
                target.set(field.getKey(), field.getValue());
            }
        }
    }

    private static RecordedRequest rewrite(RecordedRequest request, HttpMethod method, String path, JsonNode body) {
        Headers headers = request.getHeaders().newBuilder().set("Content-Type", "application/json").build();
        return new RecordedRequest(request.getHttpVersion(), method, path, headers,
                new Buffer().writeUtf8(body.toString()));
    }
}
