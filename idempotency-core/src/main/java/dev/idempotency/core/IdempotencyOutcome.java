package dev.idempotency.core;

import dev.idempotency.core.store.IdempotencyRecord;
import java.time.Duration;

/**
 * What {@link IdempotencyEngine#execute} did with one request. {@link Replayed}, {@link InProgress} and
 * {@link FingerprintMismatch} are also what {@link IdempotencyEngine#begin} answers when the work must not run.
 */
public sealed interface IdempotencyOutcome<T> {

    /** What became of an executed run's result. */
    enum Completion {
        /** Stored; retries replay it. */
        STORED,
        /** Not stored, by the outcome policy; the key was released and a retry runs afresh. */
        RELEASED,
        /** Another worker took the key over while this one ran; its record was left untouched. */
        OWNERSHIP_LOST,
        /**
         * The store failed while storing or releasing. The record stays in progress until its lease expires,
         * after which a retry runs afresh.
         */
        STORE_FAILED
    }

    /**
     * The work ran in this call.
     *
     * @param result what the work returned
     * @param completion whether the result was stored
     * @param takeover whether this run took over a crashed worker's claim
     */
    record Executed<T>(T result, Completion completion, boolean takeover) implements IdempotencyOutcome<T> {}

    /**
     * The key was completed before; the work did not run.
     *
     * @param result the decoded stored result
     * @param record the completed record it came from
     */
    record Replayed<T>(T result, IdempotencyRecord record) implements IdempotencyOutcome<T>, IdempotencyClaim<T> {}

    /**
     * Another request with the same key and payload is still running; the work did not run.
     *
     * @param record the other request's record
     * @param retryAfter a hint for when to retry: the time left on the other request's lease, at least one second
     */
    record InProgress<T>(IdempotencyRecord record, Duration retryAfter) implements IdempotencyOutcome<T>, IdempotencyClaim<T> {}

    /**
     * The key is in use, completed or in progress, for a different payload; the work did not run.
     *
     * @param record the record whose fingerprint differs
     */
    record FingerprintMismatch<T>(IdempotencyRecord record) implements IdempotencyOutcome<T>, IdempotencyClaim<T> {}
}
