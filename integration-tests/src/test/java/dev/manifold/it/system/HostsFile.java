package dev.manifold.it.system;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.TreeMap;

/**
 * The fake cluster's DNS: a hosts file the services read through {@code -Djdk.net.hosts.file} (with
 * {@code -Dvertx.disableDnsResolver=true}), so pod and Service names resolve by the JDK's real lookup path. The JDK
 * scans the file on every lookup, so a name mapped here resolves from the next lookup on. Every rewrite replaces the
 * file atomically: a reader never sees half a file.
 */
final class HostsFile {

    private final Path file;
    private final Map<String, String> addresses = new TreeMap<>();

    HostsFile(Path file) {
        this.file = file;
        map("localhost", "127.0.0.1");
    }

    Path path() {
        return file;
    }

    synchronized void map(String name, String address) {
        addresses.put(name, address);
        write();
    }

    synchronized void unmap(String name) {
        if (addresses.remove(name) != null) {
            write();
        }
    }

    private void write() {
        StringBuilder text = new StringBuilder();
        addresses.forEach((name, address) -> text.append(address).append(' ').append(name).append('\n'));
        try {
            Path next = file.resolveSibling(file.getFileName() + ".next");
            Files.writeString(next, text);
            Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
