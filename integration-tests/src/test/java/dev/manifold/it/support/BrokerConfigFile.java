package dev.manifold.it.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The broker's standalone YAML config file (the format of issue 2), written by the test the way users change it:
 * rewritten in place ({@link #writeInPlace}) or replaced by a rename ({@link #replaceAtomically}), which is what
 * editors such as vim and Kubernetes ConfigMap volumes do.
 */
public final class BrokerConfigFile {

    /** One server entry. {@code include}/{@code exclude} are the toolFilter globs; empty means no filter key. */
    public record Server(String name, String url, String toolPrefix, boolean enabled, List<String> include,
            List<String> exclude) {

        public static Server of(String name, String url, String toolPrefix) {
            return new Server(name, url, toolPrefix, true, List.of(), List.of());
        }

        public Server withFilter(List<String> include, List<String> exclude) {
            return new Server(name, url, toolPrefix, enabled, include, exclude);
        }
    }

    private final Path file;

    public BrokerConfigFile(Path file) {
        this.file = file;
    }

    public Path path() {
        return file;
    }

    /** The YAML for {@code prefixMode} and {@code servers}, strings double-quoted. */
    public static String yaml(String prefixMode, List<Server> servers) {
        StringBuilder y = new StringBuilder("prefixMode: ").append(prefixMode).append('\n');
        y.append("servers:\n");
        for (Server s : servers) {
            y.append("  - name: ").append(quote(s.name())).append('\n');
            y.append("    url: ").append(quote(s.url())).append('\n');
            y.append("    toolPrefix: ").append(quote(s.toolPrefix())).append('\n');
            y.append("    enabled: ").append(s.enabled()).append('\n');
            if (!s.include().isEmpty() || !s.exclude().isEmpty()) {
                y.append("    toolFilter:\n");
                if (!s.include().isEmpty()) {
                    y.append("      include: ").append(list(s.include())).append('\n');
                }
                if (!s.exclude().isEmpty()) {
                    y.append("      exclude: ").append(list(s.exclude())).append('\n');
                }
            }
        }
        return y.toString();
    }

    private static String list(List<String> values) {
        List<String> quoted = new ArrayList<>();
        values.forEach(v -> quoted.add(quote(v)));
        return "[" + String.join(", ", quoted) + "]";
    }

    private static String quote(String s) {
        return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }

    /** Truncates and rewrites the file itself (same inode), as `echo ... > file` does. */
    public void writeInPlace(String content) {
        try {
            Files.writeString(file, content, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** Writes a sibling temp file and renames it over the config (a new inode), as editors and ConfigMaps do. */
    public void replaceAtomically(String content) {
        try {
            Path tmp = Files.createTempFile(file.getParent(), ".config", ".tmp");
            Files.writeString(tmp, content, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot replace " + file, e);
        }
    }
}
