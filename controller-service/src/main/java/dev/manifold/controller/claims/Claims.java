package dev.manifold.controller.claims;

import dev.manifold.controller.validation.SpecValidation;
import dev.manifold.contracts.PrefixMode;
import dev.manifold.controller.api.v1alpha1.MCPServer;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Decides who owns a tool prefix. Pure and deterministic: the outcome depends only on the claimants' specs,
 * creation timestamps and ids, never on event order or status, so deciding again can never flip it.
 * The oldest {@code creationTimestamp} wins, then the lexicographically smallest id. Invalid specs and
 * servers without a prefix claim nothing.
 */
public final class Claims {

    /** Earliest creation first, then id; resources not yet created (no timestamp) sort last. */
    public static final Comparator<MCPServer> PRIORITY = Comparator
            .comparing((MCPServer s) -> created(s))
            .thenComparing(MCPServer::id);

    private Claims() {
    }

    /** The prefix this server claims, or empty when it claims none (no prefix, or an invalid spec). */
    public static Optional<String> claimedPrefix(MCPServer server, PrefixMode mode) {
        if (server.getSpec() == null) {
            return Optional.empty();
        }
        String prefix = server.getSpec().getToolPrefix();
        if (prefix == null || prefix.isEmpty() || !SpecValidation.problems(server.getSpec(), mode).isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(prefix);
    }

    /**
     * The winner among {@code claimants} of {@code server}'s prefix, when it is not {@code server} itself.
     * {@code claimants} may or may not contain {@code server}; a stale copy of it is ignored.
     */
    public static Optional<MCPServer> winnerOver(MCPServer server, Collection<MCPServer> claimants, PrefixMode mode) {
        Optional<String> prefix = claimedPrefix(server, mode);
        if (prefix.isEmpty()) {
            return Optional.empty();
        }
        MCPServer best = server;
        for (MCPServer other : claimants) {
            if (other.id().equals(server.id()) || other.getMetadata().getDeletionTimestamp() != null) {
                continue;
            }
            if (prefix.equals(claimedPrefix(other, mode)) && PRIORITY.compare(other, best) < 0) {
                best = other;
            }
        }
        return best == server ? Optional.empty() : Optional.of(best);
    }

    /** For every server that loses its prefix, the id of the winner. */
    public static Map<String, String> losers(Collection<MCPServer> servers, PrefixMode mode) {
        Map<String, MCPServer> winners = new HashMap<>();
        for (MCPServer s : servers) {
            if (s.getMetadata().getDeletionTimestamp() != null) {
                continue;
            }
            claimedPrefix(s, mode).ifPresent(p -> winners.merge(p, s, (a, b) -> PRIORITY.compare(a, b) <= 0 ? a : b));
        }
        Map<String, String> losers = new HashMap<>();
        for (MCPServer s : servers) {
            if (s.getMetadata().getDeletionTimestamp() != null) {
                continue;
            }
            claimedPrefix(s, mode).ifPresent(p -> {
                MCPServer w = winners.get(p);
                if (!w.id().equals(s.id())) {
                    losers.put(s.id(), w.id());
                }
            });
        }
        return losers;
    }

    private static Instant created(MCPServer s) {
        String ts = s.getMetadata().getCreationTimestamp();
        if (ts == null) {
            return Instant.MAX;
        }
        try {
            return Instant.parse(ts);
        } catch (DateTimeParseException e) {
            return Instant.MAX;
        }
    }
}
