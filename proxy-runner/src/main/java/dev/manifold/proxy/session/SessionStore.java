package dev.manifold.proxy.session;

import dev.manifold.contracts.SessionRecord;
import io.smallrye.mutiny.Uni;

/**
 * Durable home of {@link SessionRecord}s. Every operation is one round trip and fails (never hangs) within the
 * configured Redis timeout. A deleted session is never resurrected: create only creates, update only updates.
 */
public interface SessionStore {

    /** The record, with its TTL slid forward (GETEX); null when unknown or expired. */
    Uni<SessionRecord> touch(String sid);

    /** The record as stored, without sliding the TTL; null when unknown. */
    Uni<SessionRecord> peek(String sid);

    /** Stores a new record (SET NX); false when the id already exists. */
    Uni<Boolean> create(SessionRecord record);

    /** Replaces an existing record (SET XX); false when it no longer exists (deleted meanwhile). */
    Uni<Boolean> update(SessionRecord record);

    /** Removes the record and tells the other replicas to drop it from their caches. */
    Uni<Void> delete(String sid);

    /** Whether the store can be used right now (readiness). */
    Uni<Boolean> ping();
}
