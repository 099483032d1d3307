package dev.manifold.contracts;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * Property: the same set of servers, in any order and with filter globs in any order, gives byte-identical
 * canonical output and the same version. Each trial draws random servers with random field content from a
 * seeded generator; the seed is in the failure message so a failure can be replayed.
 */
class GatewayConfigCanonicalFormTest {

    private static final int TRIALS = 400;
    private static final int PERMUTATIONS_PER_TRIAL = 6;

    @Test
    void sameServersInAnyOrderGiveByteIdenticalOutputAndTheSameVersion() {
        long baseSeed = Long.getLong("manifold.test.seed", System.nanoTime());
        for (int trial = 0; trial < TRIALS; trial++) {
            long seed = baseSeed + trial;
            Random random = new Random(seed);
            List<ServerEntry> servers = randomServers(random);
            PrefixMode mode = PrefixMode.values()[random.nextInt(PrefixMode.values().length)];
            GatewayConfig reference = GatewayConfigCodec.build(mode, servers);
            byte[] referenceBytes = GatewayConfigCodec.toJson(reference);
            for (int p = 0; p < PERMUTATIONS_PER_TRIAL; p++) {
                List<ServerEntry> shuffled = reshuffle(servers, random);
                GatewayConfig other = GatewayConfigCodec.build(mode, shuffled);
                assertEquals(reference.version(), other.version(), "version differs, seed " + seed);
                assertArrayEquals(referenceBytes, GatewayConfigCodec.toJson(other), "bytes differ, seed " + seed);
            }
            GatewayConfig reread = GatewayConfigCodec.parse(referenceBytes);
            assertEquals(reference, reread, "round trip changed the config, seed " + seed);
            assertArrayEquals(referenceBytes, GatewayConfigCodec.toJson(reread), "round trip bytes, seed " + seed);
        }
    }

    @Test
    void anyChangeToOneServerChangesTheVersion() {
        Random random = new Random(7);
        List<ServerEntry> servers = new ArrayList<>(randomServers(random));
        while (servers.isEmpty()) {
            servers = new ArrayList<>(randomServers(random));
        }
        String before = GatewayConfigCodec.build(PrefixMode.ALWAYS, servers).version();
        ServerEntry first = servers.get(0);
        servers.set(0, new ServerEntry(first.id(), first.toolPrefix() + "x", first.url(), first.enabled(),
                first.toolFilter(), first.credentialRef(), first.protocolHint(), first.workload()));
        assertNotEquals(before, GatewayConfigCodec.build(PrefixMode.ALWAYS, servers).version());
        assertNotEquals(before, GatewayConfigCodec.build(PrefixMode.NEVER, servers).version(),
                "prefixMode changes what clients see, so it is part of the version");
    }

    @Test
    void versionIsSha256OfTheCanonicalContent() {
        GatewayConfig config = GatewayConfigCodec.build(PrefixMode.ALWAYS,
                List.of(new ServerEntry("b", "b_", "http://b/mcp", true, null, null, null, null)));
        String json = new String(GatewayConfigCodec.toJson(config), StandardCharsets.UTF_8);
        assertEquals("{\"prefixMode\":\"always\",\"servers\":[{\"enabled\":true,\"id\":\"b\",\"toolPrefix\":\"b_\","
                + "\"url\":\"http://b/mcp\"}],\"version\":\"" + config.version() + "\"}", json);
        String content = "{\"prefixMode\":\"always\",\"servers\":[{\"enabled\":true,\"id\":\"b\",\"toolPrefix\":\"b_\","
                + "\"url\":\"http://b/mcp\"}]}";
        assertEquals(CanonicalJson.sha256(content.getBytes(StandardCharsets.UTF_8)), config.version());
    }

    private static List<ServerEntry> reshuffle(List<ServerEntry> servers, Random random) {
        List<ServerEntry> copy = new ArrayList<>();
        for (ServerEntry s : servers) {
            ToolFilter f = s.toolFilter();
            ToolFilter shuffledFilter = f == null ? null
                    : new ToolFilter(shuffledWithDuplicates(f.include(), random), shuffledWithDuplicates(f.exclude(), random));
            copy.add(new ServerEntry(s.id(), s.toolPrefix(), s.url(), s.enabled(), shuffledFilter, s.credentialRef(),
                    s.protocolHint(), s.workload()));
        }
        Collections.shuffle(copy, random);
        return copy;
    }

    private static List<String> shuffledWithDuplicates(List<String> globs, Random random) {
        List<String> out = new ArrayList<>(globs);
        if (!globs.isEmpty() && random.nextBoolean()) {
            out.add(globs.get(random.nextInt(globs.size())));
        }
        Collections.shuffle(out, random);
        return out;
    }

    static List<ServerEntry> randomServers(Random random) {
        int count = random.nextInt(12);
        List<String> ids = IntStream.range(0, count)
                .mapToObj(i -> (random.nextBoolean() ? word(random) + "/" : "") + word(random) + i)
                .toList();
        List<ServerEntry> servers = new ArrayList<>();
        for (String id : ids) {
            boolean workload = random.nextInt(4) == 0;
            servers.add(new ServerEntry(
                    id,
                    random.nextBoolean() ? word(random) + "_" : "",
                    workload && random.nextBoolean() ? null : "http://" + word(random) + ".example:" + (1 + random.nextInt(65535)) + "/mcp",
                    random.nextInt(3) == 0 ? null : random.nextBoolean(),
                    random.nextBoolean() ? new ToolFilter(globs(random), globs(random)) : null,
                    random.nextBoolean() ? new CredentialRef(random.nextBoolean() ? word(random) : null, word(random), text(random)) : null,
                    random.nextInt(3) == 0 ? "2025-06-18" : null,
                    workload ? new Workload(word(random), word(random) + "-headless", word(random), 1 + random.nextInt(65535),
                            random.nextBoolean() ? "/mcp" : null, random.nextInt(5)) : null));
        }
        return servers;
    }

    private static List<String> globs(Random random) {
        List<String> globs = new ArrayList<>();
        int n = random.nextInt(4);
        for (int i = 0; i < n; i++) {
            globs.add(text(random) + (random.nextBoolean() ? "*" : ""));
        }
        return globs;
    }

    private static String word(Random random) {
        String alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        StringBuilder sb = new StringBuilder().append((char) ('a' + random.nextInt(26)));
        int len = random.nextInt(10);
        for (int i = 0; i < len; i++) {
            sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return sb.toString();
    }

    /** Arbitrary text, including quotes, escapes and non-ASCII, to exercise string encoding. */
    private static String text(Random random) {
        String alphabet = "aZ09_-*?\"\\/ é漢😀\t";
        StringBuilder sb = new StringBuilder().append('t');
        int len = random.nextInt(8);
        for (int i = 0; i < len; i++) {
            sb.appendCodePoint(alphabet.codePointAt(alphabet.offsetByCodePoints(0, random.nextInt(alphabet.codePointCount(0, alphabet.length())))));
        }
        return sb.toString();
    }
}
