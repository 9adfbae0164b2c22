package dev.idempotency.spring;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.InvalidIdempotencyKeyException;

/**
 * Observes what the HTTP filter decides before or around the engine, for metrics: requests rejected before any
 * claim, store outages, and responses that could not be stored. Engine events (executed, replayed, conflicts,
 * mismatches) go to {@link dev.idempotency.core.IdempotencyListener}. Every method has an empty default;
 * implementations must be thread-safe, fast, and must not throw.
 */
public interface IdempotencyWebListener {

    /** A handler required a key and the request had none. */
    default void keyMissing() {}

    /** The key header was rejected. */
    default void keyInvalid(InvalidIdempotencyKeyException.Reason reason) {}

    /**
     * The request was rejected before any claim: {@link IdempotencyProblem#REQUEST_TOO_LARGE},
     * {@link IdempotencyProblem#INVALID_JSON}, {@link IdempotencyProblem#INVALID_MULTIPART} or
     * {@link IdempotencyProblem#PRINCIPAL_REQUIRED}.
     */
    default void requestRejected(IdempotencyProblem problem) {}

    /** The store failed during the claim; {@code failOpen} tells whether the request ran unprotected. */
    default void storeUnavailable(boolean failOpen) {}

    /**
     * The handler ran but its response cannot be replayed: the key is kept as completed, not replayable, or released
     * when the outcome policy says so (5xx, release statuses).
     */
    default void responseNotStored(IdempotencyKey key, NotReplayableReason reason) {}
}
