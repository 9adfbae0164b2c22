package dev.idempotency.core.store;

import java.time.Instant;

/** The outcome of {@link IdempotencyStore#complete}. */
public sealed interface CompleteResult {

    /** The response is stored and will be replayed until {@code expiresAt}. */
    record Completed(Instant expiresAt) implements CompleteResult {}

    /**
     * The caller's token is no longer the record's token (or the record is gone). Nothing was written: the key
     * belongs to whoever took it over, and their record is untouched.
     */
    record OwnershipLost() implements CompleteResult {}
}
