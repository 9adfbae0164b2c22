package dev.idempotency.core.store;

/**
 * The outcome of one atomic {@link IdempotencyStore#claim}. Exactly one concurrent claim of a key can be
 * {@link Acquired}; every other sees the winner's record.
 */
public sealed interface ClaimResult {

    /** The record as the store holds it after the claim. */
    IdempotencyRecord record();

    /**
     * The caller now owns the key and must run the work, then complete or release with
     * {@code record().ownerToken()}.
     *
     * @param record the new in-progress record, carrying the caller's token and the lease
     * @param takeover {@code true} when the claim replaced an in-progress record whose lease had expired, which
     *     usually means a worker crashed; the record then keeps that worker's recovery point
     */
    record Acquired(IdempotencyRecord record, boolean takeover) implements ClaimResult {}

    /**
     * The key was completed earlier and has not expired. The caller must compare fingerprints and then replay
     * {@code record().response()}.
     */
    record AlreadyCompleted(IdempotencyRecord record) implements ClaimResult {}

    /**
     * Another worker holds the key. Either its lease is live, or the lease expired but the record's fingerprint
     * differs from the claim's, in which case the store must not hand the key to a different payload.
     */
    record InProgress(IdempotencyRecord record) implements ClaimResult {}
}
