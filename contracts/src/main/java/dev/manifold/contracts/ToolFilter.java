package dev.manifold.contracts;

import com.fasterxml.jackson.annotation.JsonIgnore;

import java.util.List;
import java.util.TreeSet;

/**
 * Glob filters over a backend's own tool names (before any prefix). A name is exposed when it matches
 * at least one {@code include} glob (or {@code include} is empty) and no {@code exclude} glob.
 * Globs support {@code *} (any run of characters) and {@code ?} (one character).
 * The lists are kept sorted and de-duplicated, because their order has no meaning.
 */
public record ToolFilter(List<String> include, List<String> exclude) {

    public ToolFilter {
        include = sortedUnique(include);
        exclude = sortedUnique(exclude);
    }

    /** True when the filter lets every name through, so it can be left out of the canonical form. */
    @JsonIgnore
    public boolean isOpen() {
        return include.isEmpty() && exclude.isEmpty();
    }

    /** Whether a backend tool called {@code name} is exposed. */
    public boolean allows(String name) {
        boolean included = include.isEmpty() || include.stream().anyMatch(g -> Globs.matches(g, name));
        return included && exclude.stream().noneMatch(g -> Globs.matches(g, name));
    }

    private static List<String> sortedUnique(List<String> globs) {
        if (globs == null) {
            return List.of();
        }
        TreeSet<String> set = new TreeSet<>();
        for (String g : globs) {
            if (g == null || g.isBlank()) {
                throw new ConfigValidationException("toolFilter", "a glob must not be empty");
            }
            set.add(g);
        }
        return List.copyOf(set);
    }
}
