package dev.manifold.broker.catalog;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.manifold.contracts.PrefixMode;
import dev.manifold.contracts.ServerEntry;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FeatureCatalogTest {

    private static ObjectNode node(String key, String value) {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put(key, value);
        return node;
    }

    /** A source: prompts by name, resources by URI, templates by URI template. */
    private static final class Src {
        final String id;
        final String prefix;
        final List<ObjectNode> prompts = new ArrayList<>();
        final List<ObjectNode> resources = new ArrayList<>();
        final List<ObjectNode> templates = new ArrayList<>();
        boolean serving = true;
        boolean offersResources = true;

        Src(String id, String prefix) {
            this.id = id;
            this.prefix = prefix;
        }

        Src prompts(String... names) {
            for (String n : names) {
                prompts.add(node("name", n));
            }
            return this;
        }

        Src resources(String... uris) {
            for (String u : uris) {
                resources.add(node("uri", u));
            }
            return this;
        }

        Src templates(String... uris) {
            for (String u : uris) {
                templates.add(node("uriTemplate", u));
            }
            return this;
        }

        Src notServing() {
            serving = false;
            return this;
        }

        FeatureCatalog.Source source() {
            return new FeatureCatalog.Source(new ServerEntry(id, prefix, "http://" + id.replace('/', '-') + "/mcp", true, null, null, null, null),
                    prompts, resources, templates, offersResources, serving);
        }
    }

    private static FeatureCatalog build(PrefixMode mode, Src... sources) {
        List<FeatureCatalog.Source> list = new ArrayList<>();
        for (Src s : sources) {
            list.add(s.source());
        }
        return FeatureCatalog.build(mode, list);
    }

    // --- prompts ----------------------------------------------------------------------------------------------

    @Test
    void alwaysPrefixesEveryPromptAndKeepsTheOriginalForRouting() {
        FeatureCatalog catalog = build(PrefixMode.ALWAYS, new Src("b", "b_").prompts("greet"), new Src("a", "a_").prompts("greet", "sum"));
        assertEquals(List.of("a_greet", "a_sum", "b_greet"), List.copyOf(catalog.prompts().keySet()));
        FeatureCatalog.Route route = catalog.prompt("b_greet");
        assertEquals("b", route.serverId());
        assertEquals("greet", route.original());
        assertEquals("b_greet", route.definition().path("name").asText());
        assertNull(catalog.prompt("greet"));
    }

    @Test
    void neverPrefixesAndTheSmallerServerIdWinsACollision() {
        FeatureCatalog catalog = build(PrefixMode.NEVER, new Src("b", "b_").prompts("greet", "only-b"), new Src("a", "a_").prompts("greet"));
        assertEquals(List.of("greet", "only-b"), List.copyOf(catalog.prompts().keySet()));
        assertEquals("a", catalog.prompt("greet").serverId());
        assertEquals("b", catalog.prompt("only-b").serverId());
        assertEquals(List.of(new FeatureCatalog.Hidden("prompt", "b", "greet", "greet", "a")), catalog.hidden());
    }

    @Test
    void everyLostNameIsReportedAsHiddenButARepeatWithinOneServerIsNot() {
        FeatureCatalog catalog = build(PrefixMode.NEVER,
                new Src("a", "a_").prompts("greet", "greet").resources("file:///x").templates("db://{table}"),
                new Src("b", "b_").resources("file:///x", "file:///y").templates("db://{table}"));
        assertEquals(List.of(
                new FeatureCatalog.Hidden("resource", "b", "file:///x", "file:///x", "a"),
                new FeatureCatalog.Hidden("resource_template", "b", "db://{table}", "db://{table}", "a")), catalog.hidden());
        assertEquals("b", catalog.resolveUri("file:///y").serverId());
        assertTrue(build(PrefixMode.ALWAYS, new Src("a", "a_").prompts("greet"), new Src("b", "b_").prompts("greet"))
                .hidden().isEmpty(), "prefixed names do not collide");
    }

    @Test
    void conditionalPrefixesOnlyCollidingPrompts() {
        FeatureCatalog catalog = build(PrefixMode.CONDITIONAL, new Src("a", "a_").prompts("greet", "sum"), new Src("b", "b_").prompts("greet"));
        assertEquals(List.of("a_greet", "b_greet", "sum"), List.copyOf(catalog.prompts().keySet()));
        assertEquals("greet", catalog.prompt("b_greet").original());
        assertEquals("a", catalog.prompt("sum").serverId());
    }

    @Test
    void promptsOfAServerNotServingAreLeftOutButStillCountAsCollisions() {
        FeatureCatalog catalog = build(PrefixMode.CONDITIONAL, new Src("a", "a_").prompts("greet"), new Src("b", "b_").prompts("greet").notServing());
        assertEquals(List.of("a_greet"), List.copyOf(catalog.prompts().keySet()));
    }

    // --- URI namespacing --------------------------------------------------------------------------------------

    @Test
    void labelsAreThePrefixInSchemeCharacters() {
        // Prefixes follow the one rule (contracts: ^[a-z0-9][a-z0-9_]*$); labels turn _ into - and start with a letter.
        assertEquals("alpha", FeatureCatalog.label(new Src("x", "alpha_").source().entry()));
        assertEquals("my-tools", FeatureCatalog.label(new Src("x", "my_tools__").source().entry()));
        assertEquals("m9x", FeatureCatalog.label(new Src("x", "9x").source().entry()));
        assertEquals("team-a-alpha", FeatureCatalog.label(new Src("team-a/alpha", "").source().entry()));
    }

    @Test
    void alwaysNamespacesUrisReversiblyIncludingTemplates() {
        FeatureCatalog catalog = build(PrefixMode.ALWAYS,
                new Src("a", "alpha_").resources("test://docs/1", "file:///etc/x").templates("test://items/{id}"),
                new Src("b", "b_").resources("test://docs/1"));
        assertEquals(List.of("alpha+file:///etc/x", "alpha+test://docs/1", "b+test://docs/1"), List.copyOf(catalog.resources().keySet()));
        assertEquals(List.of("alpha+test://items/{id}"), List.copyOf(catalog.templates().keySet()));
        assertEquals("alpha+test://docs/1", catalog.resources().get("alpha+test://docs/1").definition().path("uri").asText());
        assertEquals("alpha+test://items/{id}", catalog.template("alpha+test://items/{id}").definition().path("uriTemplate").asText());

        for (String original : List.of("test://docs/1", "file:///etc/x", "test://items/42", "test://never-listed?q=a+b")) {
            String exposed = catalog.exposeUri("a", original);
            assertEquals("alpha+" + original, exposed);
            assertEquals(new FeatureCatalog.Target("a", original), catalog.resolveUri(exposed), exposed);
        }
        assertEquals(new FeatureCatalog.Target("b", "test://docs/1"), catalog.resolveUri("b+test://docs/1"));
        // the un-namespaced URI is nobody's: both servers are namespaced
        assertNull(catalog.resolveUri("test://docs/1"));
        assertNull(catalog.resolveUri("gamma+test://docs/1"));
        assertNull(catalog.resolveUri(null));
    }

    @Test
    void conditionalNamespacesOnlyServersWithACollidingUriOrTemplate() {
        FeatureCatalog catalog = build(PrefixMode.CONDITIONAL,
                new Src("a", "a_").resources("test://shared", "test://a-only"),
                new Src("b", "b_").resources("test://shared"),
                new Src("c", "c_").resources("c://one").templates("c://items/{id}"),
                new Src("d", "d_").templates("d://x/{id}"),
                new Src("e", "e_").templates("d://x/{id}"));
        assertEquals(List.of("a+test://a-only", "a+test://shared", "b+test://shared", "c://one"), List.copyOf(catalog.resources().keySet()));
        assertEquals(List.of("c://items/{id}", "d+d://x/{id}", "e+d://x/{id}"), List.copyOf(catalog.templates().keySet()));
        assertEquals("c://one", catalog.exposeUri("c", "c://one"));
        assertEquals(new FeatureCatalog.Target("a", "test://shared"), catalog.resolveUri("a+test://shared"));
        assertEquals(new FeatureCatalog.Target("b", "test://shared"), catalog.resolveUri("b+test://shared"));
        assertEquals(new FeatureCatalog.Target("c", "c://one"), catalog.resolveUri("c://one"));
        // an un-namespaced URI no list names is routed by the plain server's template
        assertEquals(new FeatureCatalog.Target("c", "c://items/7"), catalog.resolveUri("c://items/7"));
        assertEquals(new FeatureCatalog.Target("e", "d://x/1"), catalog.resolveUri("e+d://x/1"));
    }

    @Test
    void unNamespacedUrisAreRoutedByListThenTemplateThenTheOnlyResourceServer() {
        FeatureCatalog two = build(PrefixMode.NEVER,
                new Src("a", "a_").resources("test://a/doc").templates("test://a/items/{id}"),
                new Src("b", "b_").resources("test://b/doc").templates("other://{x}/{y}"));
        assertEquals(new FeatureCatalog.Target("a", "test://a/doc"), two.resolveUri("test://a/doc"));
        assertEquals(new FeatureCatalog.Target("a", "test://a/items/9"), two.resolveUri("test://a/items/9"));
        assertEquals(new FeatureCatalog.Target("b", "other://p/q"), two.resolveUri("other://p/q"));
        assertEquals(new FeatureCatalog.Target("b", "other://{x}/{y}"), two.resolveUri("other://{x}/{y}"));
        assertNull(two.resolveUri("unknown://z"), "two resource servers: no guess");

        Src only = new Src("a", "a_").resources("test://a/doc");
        Src promptsOnly = new Src("p", "p_").prompts("x");
        promptsOnly.offersResources = false;
        FeatureCatalog one = build(PrefixMode.NEVER, only, promptsOnly);
        assertEquals(new FeatureCatalog.Target("a", "unknown://z"), one.resolveUri("unknown://z"));
    }

    @Test
    void aUriWithAPlusInItsOwnSchemeIsNotMistakenForALabel() {
        FeatureCatalog catalog = build(PrefixMode.NEVER, new Src("a", "svn_").resources("svn+ssh://host/repo"),
                new Src("b", "b_").resources("test://b"));
        assertEquals(new FeatureCatalog.Target("a", "svn+ssh://host/repo"), catalog.resolveUri("svn+ssh://host/repo"));
    }

    @Test
    void labelCollisionsGetDistinctLabelsAndStillRoundTrip() {
        FeatureCatalog catalog = build(PrefixMode.ALWAYS,
                new Src("b", "a__").resources("test://x"),
                new Src("a", "a_").resources("test://x"));
        String exposedA = catalog.exposeUri("a", "test://x");
        String exposedB = catalog.exposeUri("b", "test://x");
        assertEquals("a+test://x", exposedA, "the smaller id keeps the contested label");
        assertNotEquals(exposedA, exposedB);
        assertTrue(exposedB.matches("a-[0-9a-f]{6}\\+test://x"), exposedB);
        assertEquals(new FeatureCatalog.Target("a", "test://x"), catalog.resolveUri(exposedA));
        assertEquals(new FeatureCatalog.Target("b", "test://x"), catalog.resolveUri(exposedB));
        assertEquals(2, catalog.resources().size());
    }

    @Test
    void fingerprintsFollowContent() {
        FeatureCatalog first = build(PrefixMode.ALWAYS, new Src("a", "a_").prompts("p").resources("test://1"));
        FeatureCatalog same = build(PrefixMode.ALWAYS, new Src("a", "a_").prompts("p").resources("test://1"));
        FeatureCatalog moreResources = build(PrefixMode.ALWAYS, new Src("a", "a_").prompts("p").resources("test://1", "test://2"));
        assertEquals(first.promptsFingerprint(), same.promptsFingerprint());
        assertEquals(first.resourcesFingerprint(), same.resourcesFingerprint());
        assertEquals(first.promptsFingerprint(), moreResources.promptsFingerprint());
        assertNotEquals(first.resourcesFingerprint(), moreResources.resourcesFingerprint());
    }
}
