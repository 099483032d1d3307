package dev.manifold.broker.catalog;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One tool as clients see it and where it goes.
 *
 * @param exposedName  the name clients use (prefixed and sanitized)
 * @param serverId     the owning backend
 * @param originalName the backend's own name, sent on tools/call
 * @param definition   the tool as the client sees it: the backend's definition with only {@code name} replaced
 */
public record ToolRoute(String exposedName, String serverId, String originalName, ObjectNode definition) {
}
