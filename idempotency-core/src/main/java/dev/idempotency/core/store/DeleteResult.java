package dev.idempotency.core.store;

/** The outcome of {@link IdempotencyStore#deleteCompleted}. */
public sealed interface DeleteResult {

    /** The completed record was deleted; the next request with the key runs afresh. */
    record Deleted() implements DeleteResult {}

    /**
     * Nothing was deleted: there is no completed record with that owner token (the key is unknown, still in progress,
     * or was claimed and completed afresh since the token was read).
     */
    record NotDeleted() implements DeleteResult {}

    /** The store does not offer this operation. Nothing was deleted. */
    record Unsupported() implements DeleteResult {}
}
