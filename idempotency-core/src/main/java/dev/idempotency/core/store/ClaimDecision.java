package dev.idempotency.core.store;

import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a claim does with the record it finds: the claim rule, written once for every store.
 *
 * <p>A store that can read the key's record under a lock (or inside one atomic step, as the in-memory store's
 * {@code compute}) calls {@link #decide} and then carries out the decision. A store whose database arbitrates in
 * one statement (PostgreSQL's conditional upsert) writes the same rule in SQL, and still uses {@link #decide} to
 * check what that statement returned. The rule:
 * <ol>
 *   <li>No record: {@link Insert} a fresh one.</li>
 *   <li>The record's TTL passed ({@code expiresAt <= now}), whatever its status: {@link Reclaim} the key with a
 *       fresh record (the claim's fingerprint, a new creation time, no response, no recovery point). This is not a
 *       takeover.</li>
 *   <li>The record is in progress, its lease expired ({@code leaseExpiresAt <= now}) and its fingerprint equals the
 *       claim's: {@link Takeover}. The record gets the claim's token and a new lease, keeps its fingerprint,
 *       creation time and recovery point, and its expiry is pushed out to cover the new lease.</li>
 *   <li>Anything else, completed or in progress: the record is the {@link Answer}. An in-progress record with an
 *       expired lease but another fingerprint is never handed to a different payload.</li>
 * </ol>
 * Both comparisons treat "exactly now" as passed, so a record never outlives its expiry by the clock's resolution.
 * {@code now} must come from the store's clock (the database clock for a database store), the same clock that
 * wrote the record's times.
 */
public sealed interface ClaimDecision {

    /**
     * Decides a claim.
     *
     * @param existing the key's record as the store holds it, expired or not; {@code null} when there is none
     * @param request the claim
     * @param now the store's clock, read in the same atomic step as {@code existing}; may be {@code null} when
     *     {@code existing} is, since a database that finds no row reads no clock with it
     */
    static ClaimDecision decide(@Nullable IdempotencyRecord existing, ClaimRequest request, @Nullable Instant now) {
        Objects.requireNonNull(request, "request");
        if (existing == null) {
            return new Insert();
        }
        Objects.requireNonNull(now, "now");
        if (!existing.expiresAt().isAfter(now)) {
            return new Reclaim(existing);
        }
        if (existing.status() == IdempotencyStatus.IN_PROGRESS
                && !existing.leaseExpiresAt().isAfter(now)
                && existing.fingerprint().equals(request.fingerprint())) {
            return new Takeover(existing);
        }
        return new Answer(existing);
    }

    /** Whether the claim acquires the key: every decision but {@link Answer}. */
    default boolean acquires() {
        return !(this instanceof Answer);
    }

    /** The key is free: insert a fresh record. */
    record Insert() implements ClaimDecision {}

    /** The record's TTL passed: replace it with a fresh record, as if the key were free. */
    record Reclaim(IdempotencyRecord expired) implements ClaimDecision {

        public Reclaim {
            Objects.requireNonNull(expired, "expired");
        }
    }

    /** The record's worker stopped renewing its lease: hand its key, with its recovery point, to this claim. */
    record Takeover(IdempotencyRecord abandoned) implements ClaimDecision {

        public Takeover {
            Objects.requireNonNull(abandoned, "abandoned");
        }
    }

    /** The record stands: the claim answers with it. */
    record Answer(IdempotencyRecord record) implements ClaimDecision {

        public Answer {
            Objects.requireNonNull(record, "record");
        }

        /** {@link ClaimResult.AlreadyCompleted} or {@link ClaimResult.InProgress}, after the record's status. */
        public ClaimResult result() {
            return record.isCompleted() ? new ClaimResult.AlreadyCompleted(record) : new ClaimResult.InProgress(record);
        }
    }
}
