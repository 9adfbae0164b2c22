package dev.idempotency.core.store;

/** The outcome of {@link IdempotencyStore#release}. */
public sealed interface ReleaseResult {

    /** The caller's in-progress record was deleted; the next request with the key runs afresh. */
    record Released() implements ReleaseResult {}

    /** The caller no longer owned the key. Nothing was deleted. */
    record OwnershipLost() implements ReleaseResult {}
}
