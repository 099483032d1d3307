package dev.manifold.contracts;

/** Glob matching for {@link ToolFilter}: {@code *} matches any run of characters, {@code ?} exactly one. */
public final class Globs {
    private Globs() {
    }

    public static boolean matches(String glob, String name) {
        int g = 0, n = 0, star = -1, mark = 0;
        while (n < name.length()) {
            if (g < glob.length() && (glob.charAt(g) == '?' || glob.charAt(g) == name.charAt(n))) {
                g++;
                n++;
            } else if (g < glob.length() && glob.charAt(g) == '*') {
                star = g++;
                mark = n;
            } else if (star >= 0) {
                g = star + 1;
                n = ++mark;
            } else {
                return false;
            }
        }
        while (g < glob.length() && glob.charAt(g) == '*') {
            g++;
        }
        return g == glob.length();
    }
}
