package dev.manifold.broker.catalog;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.manifold.contracts.CanonicalJson;
import dev.manifold.contracts.PrefixMode;
import dev.manifold.contracts.ServerEntry;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The aggregated prompts, resources and resource templates at one moment: immutable and deterministic, like
 * {@link ToolCatalog}.
 * <p>
 * Prompt names get the server's prefix by the same rule as tools (always, never, or only on a collision); a
 * collision that remains is won by the smaller server id.
 * <p>
 * Resource URIs are namespaced reversibly: a namespaced server's URI {@code test://a/1} is shown as
 * {@code <label>+test://a/1}, where the label is the server's prefix in URI-scheme characters. The result is still
 * an absolute URI (its scheme is {@code <label>+test}); stripping {@code <label>+} gives the original back, so a
 * read, a subscription or a completion is routed to the owner even for URIs built from templates, which no list
 * names. Servers are namespaced always ({@code always}), never ({@code never}), or when one of their URIs or
 * templates is also offered by another server ({@code conditional}). Un-namespaced URIs are routed by the listed
 * resources, then by matching the listed templates, then to the only server that serves resources.
 */
public final class FeatureCatalog {

    /** One prompt, resource or template as clients see it and where it goes. */
    public record Route(String exposed, String serverId, String original, ObjectNode definition) {
    }

    /** The owner of a URI and the URI as the owner knows it. */
    public record Target(String serverId, String original) {
    }

    /**
     * A prompt, resource or resource template that is not served because another server (the smaller id) already
     * holds its exposed name; {@code kind} is {@code prompt}, {@code resource} or {@code resource_template}.
     */
    public record Hidden(String kind, String serverId, String original, String exposed, String winner) {
    }

    /** Input: one backend's entry, its last-known features, what it declared, and whether it is served now. */
    public record Source(ServerEntry entry, List<ObjectNode> prompts, List<ObjectNode> resources,
                         List<ObjectNode> templates, boolean offersResources, boolean serving) {
    }

    private static final Pattern SCHEME_CHARS = Pattern.compile("[^a-z0-9.-]");

    private final NavigableMap<String, Route> prompts;
    private final NavigableMap<String, Route> resources;
    private final NavigableMap<String, Route> templates;
    /** Label to server id, for namespaced servers only. */
    private final Map<String, String> labels;
    /** Server id to label, for namespaced servers only. */
    private final Map<String, String> labelOf;
    /** Serving servers that declared resources and are not namespaced, sorted. */
    private final List<String> plainResourceServers;
    private final List<TemplateMatcher> plainTemplates;
    private final List<Hidden> hidden;
    private final String promptsFingerprint;
    private final String resourcesFingerprint;

    private record TemplateMatcher(Pattern pattern, String serverId) {
    }

    private FeatureCatalog(NavigableMap<String, Route> prompts, NavigableMap<String, Route> resources,
                           NavigableMap<String, Route> templates, Map<String, String> labels,
                           List<String> plainResourceServers, List<TemplateMatcher> plainTemplates, List<Hidden> hidden) {
        this.hidden = List.copyOf(hidden);
        this.prompts = Collections.unmodifiableNavigableMap(prompts);
        this.resources = Collections.unmodifiableNavigableMap(resources);
        this.templates = Collections.unmodifiableNavigableMap(templates);
        this.labels = Map.copyOf(labels);
        Map<String, String> reverse = new HashMap<>();
        labels.forEach((label, server) -> reverse.put(server, label));
        this.labelOf = Map.copyOf(reverse);
        this.plainResourceServers = List.copyOf(plainResourceServers);
        this.plainTemplates = List.copyOf(plainTemplates);
        this.promptsFingerprint = fingerprint(prompts);
        List<Object> both = new ArrayList<>();
        both.add(fingerprint(resources));
        both.add(fingerprint(templates));
        this.resourcesFingerprint = CanonicalJson.hash(both);
    }

    private static String fingerprint(NavigableMap<String, Route> routes) {
        List<Object> content = new ArrayList<>();
        routes.values().forEach(r -> content.add(List.of(r.serverId(), r.original(), r.definition())));
        return CanonicalJson.hash(content);
    }

    public static FeatureCatalog empty() {
        return build(PrefixMode.ALWAYS, List.of());
    }

    public static FeatureCatalog build(PrefixMode mode, List<Source> sources) {
        List<Source> ordered = new ArrayList<>(sources);
        ordered.sort(Comparator.comparing(s -> s.entry().id()));

        // Prompt names: same rule as tools.
        Map<String, Integer> promptOwners = new HashMap<>();
        Map<String, Integer> uriOwners = new HashMap<>();
        for (Source source : ordered) {
            source.prompts().stream().map(p -> p.path("name").asText()).distinct()
                    .forEach(name -> promptOwners.merge(name, 1, Integer::sum));
            Set<String> uris = new HashSet<>();
            source.resources().forEach(r -> uris.add(r.path("uri").asText()));
            source.templates().forEach(t -> uris.add(t.path("uriTemplate").asText()));
            uris.forEach(uri -> uriOwners.merge(uri, 1, Integer::sum));
        }

        // Which servers are namespaced, and their labels (unique; the smaller id keeps a contested label).
        Map<String, String> labels = new HashMap<>();
        for (Source source : ordered) {
            boolean namespaced = switch (mode) {
                case ALWAYS -> true;
                case NEVER -> false;
                case CONDITIONAL -> source.resources().stream().anyMatch(r -> uriOwners.getOrDefault(r.path("uri").asText(), 0) > 1)
                        || source.templates().stream().anyMatch(t -> uriOwners.getOrDefault(t.path("uriTemplate").asText(), 0) > 1);
            };
            if (!namespaced) {
                continue;
            }
            String label = label(source.entry());
            if (labels.containsKey(label)) {
                label = label + "-" + CanonicalJson.sha256(source.entry().id().getBytes(StandardCharsets.UTF_8))
                        .substring("sha256:".length(), "sha256:".length() + 6);
            }
            labels.put(label, source.entry().id());
        }
        Map<String, String> labelOf = new HashMap<>();
        labels.forEach((label, server) -> labelOf.put(server, label));

        TreeMap<String, Route> prompts = new TreeMap<>();
        TreeMap<String, Route> resources = new TreeMap<>();
        TreeMap<String, Route> templates = new TreeMap<>();
        List<String> plainServers = new ArrayList<>();
        List<TemplateMatcher> plainTemplates = new ArrayList<>();
        List<Hidden> hidden = new ArrayList<>();
        for (Source source : ordered) {
            if (!source.serving()) {
                continue;
            }
            ServerEntry entry = source.entry();
            for (ObjectNode prompt : sorted(source.prompts(), "name")) {
                String original = prompt.path("name").asText();
                if (original.isEmpty()) {
                    continue;
                }
                boolean prefixed = switch (mode) {
                    case ALWAYS -> true;
                    case NEVER -> false;
                    case CONDITIONAL -> promptOwners.getOrDefault(original, 0) > 1;
                };
                String exposed = prefixed ? entry.toolPrefix() + original : original;
                expose(prompts, prompt, "name", exposed, entry.id(), original, "prompt", hidden);
            }
            String label = labelOf.get(entry.id());
            if (label == null && source.offersResources()) {
                plainServers.add(entry.id());
            }
            for (ObjectNode resource : sorted(source.resources(), "uri")) {
                String original = resource.path("uri").asText();
                expose(resources, resource, "uri", label == null ? original : label + "+" + original, entry.id(), original,
                        "resource", hidden);
            }
            for (ObjectNode template : sorted(source.templates(), "uriTemplate")) {
                String original = template.path("uriTemplate").asText();
                boolean added = expose(templates, template, "uriTemplate", label == null ? original : label + "+" + original,
                        entry.id(), original, "resource_template", hidden);
                if (added && label == null) {
                    plainTemplates.add(new TemplateMatcher(templatePattern(original), entry.id()));
                }
            }
        }
        return new FeatureCatalog(prompts, resources, templates, labels, plainServers, plainTemplates, hidden);
    }

    /**
     * Routes {@code exposed} to the server's {@code original} with a copy of its definition whose {@code key} field is
     * the exposed name; the first server (in id order) keeps a name, a later one is added to {@code hidden}. Returns
     * whether this one got it.
     */
    private static boolean expose(Map<String, Route> routes, ObjectNode item, String key, String exposed, String serverId,
                                  String original, String kind, List<Hidden> hidden) {
        Route holder = routes.get(exposed);
        if (holder != null) {
            if (!holder.serverId().equals(serverId)) { // a server listing one name twice is not a collision
                hidden.add(new Hidden(kind, serverId, original, exposed, holder.serverId()));
            }
            return false;
        }
        ObjectNode definition = item.deepCopy();
        definition.put(key, exposed);
        routes.put(exposed, new Route(exposed, serverId, original, definition));
        return true;
    }

    private static List<ObjectNode> sorted(List<ObjectNode> items, String key) {
        List<ObjectNode> copy = new ArrayList<>(items);
        copy.sort(Comparator.comparing(item -> item.path(key).asText()));
        return copy;
    }

    /** The server's prefix in URI-scheme characters: lower case, {@code [a-z0-9.-]}, starting with a letter. */
    static String label(ServerEntry entry) {
        String base = entry.toolPrefix() == null || entry.toolPrefix().isBlank() ? entry.id() : entry.toolPrefix();
        String label = SCHEME_CHARS.matcher(base.toLowerCase(Locale.ROOT).replace('_', '-')).replaceAll("-");
        label = label.replaceAll("-+$", "").replaceAll("^-+", "");
        if (label.isEmpty() || !Character.isLetter(label.charAt(0))) {
            label = "m" + label;
        }
        return label;
    }

    /** RFC 6570 template to a permissive regular expression: each expression matches any run of characters. */
    static Pattern templatePattern(String template) {
        StringBuilder regex = new StringBuilder();
        int i = 0;
        while (i < template.length()) {
            int open = template.indexOf('{', i);
            if (open < 0) {
                regex.append(Pattern.quote(template.substring(i)));
                break;
            }
            int close = template.indexOf('}', open);
            if (close < 0) {
                regex.append(Pattern.quote(template.substring(i)));
                break;
            }
            if (open > i) {
                regex.append(Pattern.quote(template.substring(i, open)));
            }
            regex.append(".*?");
            i = close + 1;
        }
        return Pattern.compile(regex.toString(), Pattern.DOTALL);
    }

    /** What is not served because a smaller server id holds its name, in server id order. */
    public List<Hidden> hidden() {
        return hidden;
    }

    public Route prompt(String exposedName) {
        return exposedName == null ? null : prompts.get(exposedName);
    }

    public Route template(String exposedTemplate) {
        return exposedTemplate == null ? null : templates.get(exposedTemplate);
    }

    /** The owner of a URI a client sent, and the URI as the owner knows it; {@code null} when nobody owns it. */
    public Target resolveUri(String exposedUri) {
        if (exposedUri == null) {
            return null;
        }
        int plus = exposedUri.indexOf('+');
        int colon = exposedUri.indexOf(':');
        if (plus > 0 && (colon < 0 || plus < colon)) {
            String server = labels.get(exposedUri.substring(0, plus));
            if (server != null) {
                return new Target(server, exposedUri.substring(plus + 1));
            }
        }
        Route listed = resources.get(exposedUri);
        if (listed != null && !labelOf.containsKey(listed.serverId())) {
            return new Target(listed.serverId(), listed.original());
        }
        Route template = templates.get(exposedUri);
        if (template != null && !labelOf.containsKey(template.serverId())) {
            return new Target(template.serverId(), template.original());
        }
        for (TemplateMatcher matcher : plainTemplates) {
            if (matcher.pattern().matcher(exposedUri).matches()) {
                return new Target(matcher.serverId(), exposedUri);
            }
        }
        if (plainResourceServers.size() == 1) {
            return new Target(plainResourceServers.get(0), exposedUri);
        }
        return null;
    }

    /** A backend's URI as clients see it. */
    public String exposeUri(String serverId, String originalUri) {
        String label = labelOf.get(serverId);
        return label == null || originalUri == null ? originalUri : label + "+" + originalUri;
    }

    public NavigableMap<String, Route> prompts() {
        return prompts;
    }

    public NavigableMap<String, Route> resources() {
        return resources;
    }

    public NavigableMap<String, Route> templates() {
        return templates;
    }

    public String promptsFingerprint() {
        return promptsFingerprint;
    }

    public String resourcesFingerprint() {
        return resourcesFingerprint;
    }
}
