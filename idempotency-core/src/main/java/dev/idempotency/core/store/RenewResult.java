package dev.idempotency.core.store;

import java.time.Instant;

/** The outcome of {@link IdempotencyStore#renew} and {@link IdempotencyStore#checkpoint}. */
public sealed interface RenewResult {

    /** The lease now runs until {@code leaseExpiresAt}, by the store's clock. */
    record Renewed(Instant leaseExpiresAt) implements RenewResult {}

    /** The caller no longer owns the key; it should stop and must not expect to complete. */
    record OwnershipLost() implements RenewResult {}
}
