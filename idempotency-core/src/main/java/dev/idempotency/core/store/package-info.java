/**
 * The store SPI: what a backend must do so the engine can run its protocol on it. A store implements only the atomic
 * operations of {@link dev.idempotency.core.store.IdempotencyStore} (claim, complete, release, renew, checkpoint,
 * find, purge), each answering with an explicit result type, and every one after the claim fenced by the claim's
 * {@link dev.idempotency.core.store.OwnerToken}. The records it keeps are
 * {@link dev.idempotency.core.store.IdempotencyRecord}s. Implement it for a new database; the engine holds the state
 * machine, and the store contract suite (idempotency-store-tck) checks an implementation.
 */
@NullMarked
package dev.idempotency.core.store;

import org.jspecify.annotations.NullMarked;
