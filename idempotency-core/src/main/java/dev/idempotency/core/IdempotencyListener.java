package dev.idempotency.core;

import java.time.Duration;

/**
 * Observes the engine, for metrics and logs. Every method has an empty default; implementations must be
 * thread-safe, fast and must not throw.
 */
public interface IdempotencyListener {

    /** The store operations the engine times. */
    enum StoreOperation {
        CLAIM, COMPLETE, RELEASE, RENEW, CHECKPOINT, FIND, PURGE
    }

    default void executed(IdempotencyKey key, IdempotencyOutcome.Completion completion, boolean takeover) {}

    /**
     * The work threw; its claim was released (or lost) and the exception is on its way to the caller. No
     * {@link #executed} event follows.
     */
    default void failed(IdempotencyKey key, Throwable failure) {}

    default void replayed(IdempotencyKey key) {}

    default void inFlightConflict(IdempotencyKey key) {}

    default void fingerprintMismatch(IdempotencyKey key) {}

    /** A claim took over an in-progress record whose lease had expired. */
    default void leaseTakeover(IdempotencyKey key) {}

    /** A heartbeat, checkpoint or completion found that another worker owns the key now. */
    default void ownershipLost(IdempotencyKey key) {}

    default void storeError(StoreOperation operation, IdempotencyKey key, RuntimeException error) {}

    /**
     * Settling a claim failed in the store and is tried again: {@code operation} is {@link StoreOperation#COMPLETE}
     * or {@link StoreOperation#RELEASE}, and {@code attempt} the number of the attempt about to be made (2 for the
     * first retry). The failure itself was reported to {@link #storeError} before.
     */
    default void completionRetried(IdempotencyKey key, StoreOperation operation, int attempt) {}

    default void storeLatency(StoreOperation operation, Duration elapsed) {}

    IdempotencyListener NONE = new IdempotencyListener() {};
}
