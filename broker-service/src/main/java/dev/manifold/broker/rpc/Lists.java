package dev.manifold.broker.rpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.manifold.broker.catalog.Aggregator;
import dev.manifold.broker.catalog.FeatureCatalog;
import dev.manifold.broker.catalog.ToolCatalog;
import dev.manifold.broker.catalog.ToolRoute;
import dev.manifold.broker.reply.Exchange;
import dev.manifold.broker.session.ClientSession;
import dev.manifold.broker.settings.BrokerConfig;
import dev.manifold.broker.upstream.JsonRpc;
import dev.manifold.contracts.JsonRpcErrors;
import jakarta.enterprise.context.ApplicationScoped;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.NavigableMap;

/** The aggregate's lists ({@code tools/list}, {@code prompts/list}, ...), paged with one opaque cursor scheme. */
@ApplicationScoped
public class Lists {
    private final ObjectMapper mapper;
    private final BrokerConfig config;
    private final Aggregator aggregator;

    public Lists(ObjectMapper mapper, BrokerConfig config, Aggregator aggregator) {
        this.mapper = mapper;
        this.config = config;
        this.aggregator = aggregator;
    }

    void listTools(Exchange ex, ClientSession session, JsonNode id, JsonNode params) {
        String after = cursor(ex, id, params);
        if (after == CURSOR_INVALID) {
            return;
        }
        ToolCatalog catalog = aggregator.catalog();
        List<ToolRoute> page = catalog.page(after, Math.max(1, config.pageSize()));
        ObjectNode result = mapper.createObjectNode();
        ArrayNode tools = result.putArray("tools");
        page.forEach(route -> tools.add(route.definition()));
        if (!page.isEmpty()) {
            String last = page.get(page.size() - 1).exposedName();
            if (catalog.hasAfter(last)) {
                result.put("nextCursor", Base64.getUrlEncoder().withoutPadding().encodeToString(last.getBytes(StandardCharsets.UTF_8)));
            }
        }
        ex.local(session, JsonRpc.result(id, stamp(session, result)));
    }

    void listFeature(Exchange ex, ClientSession session, JsonNode id, JsonNode params,
                             NavigableMap<String, FeatureCatalog.Route> all, String field) {
        String after = cursor(ex, id, params);
        if (after == CURSOR_INVALID) {
            return;
        }
        NavigableMap<String, FeatureCatalog.Route> tail = after == null ? all : all.tailMap(after, false);
        ObjectNode result = mapper.createObjectNode();
        ArrayNode items = result.putArray(field);
        String last = null;
        int size = Math.max(1, config.pageSize());
        for (FeatureCatalog.Route route : tail.values()) {
            if (items.size() == size) {
                break;
            }
            items.add(route.definition());
            last = route.exposed();
        }
        if (last != null && all.higherKey(last) != null) {
            result.put("nextCursor", Base64.getUrlEncoder().withoutPadding().encodeToString(last.getBytes(StandardCharsets.UTF_8)));
        }
        ex.local(session, JsonRpc.result(id, stamp(session, result)));
    }

    private static final String CURSOR_INVALID = new String("invalid");

    /** The key after which a page starts; null from the start; {@link #CURSOR_INVALID} once answered with an error. */
    private String cursor(Exchange ex, JsonNode id, JsonNode params) {
        JsonNode cursor = params == null ? null : params.get("cursor");
        if (cursor == null || cursor.isNull()) {
            return null;
        }
        try {
            return new String(Base64.getUrlDecoder().decode(cursor.asText()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            ex.reply(200, JsonRpc.error(id, JsonRpcErrors.INVALID_PARAMS, "Invalid params: unknown cursor"), "error");
            return CURSOR_INVALID;
        }
    }

    /** Stateless (2026-07-28) results carry resultType; session results are left as they are. */
    static ObjectNode stamp(ClientSession session, ObjectNode result) {
        if (session == null && !result.has("resultType")) {
            result.put("resultType", "complete");
        }
        return result;
    }
}
