package dev.idempotency.core.store;

import java.time.Instant;
import java.util.Objects;

/** The outcome of {@link IdempotencyStore#inspect}: a record as an operator sees it, with the store's clock. */
public sealed interface InspectResult {

    /**
     * The record has not expired.
     *
     * @param record the record as stored
     * @param storeTime the store's clock when it was read, the one its lease and expiry are measured on
     */
    record Found(IdempotencyRecord record, Instant storeTime) implements InspectResult {
        public Found {
            Objects.requireNonNull(record, "record");
            Objects.requireNonNull(storeTime, "storeTime");
        }

        /**
         * Whether the record is in progress with a lease that has run out by the store's clock: its worker is gone (or
         * cut off from the store), and the next request with the same payload takes it over.
         */
        public boolean leaseExpired() {
            return !record.isCompleted() && !record.leaseExpiresAt().isAfter(storeTime);
        }
    }

    /** There is no record for the key, or it has expired. */
    record NotFound() implements InspectResult {}

    /** The store does not offer this read; {@link IdempotencyStore#find} still works. */
    record Unsupported() implements InspectResult {}
}
