/**
 * The store technology compatibility kit: {@link dev.idempotency.store.tck.IdempotencyStoreContractTest}, the JUnit
 * Jupiter suite that every {@link dev.idempotency.core.store.IdempotencyStore} runs unchanged.
 */
@NullMarked
package dev.idempotency.store.tck;

import org.jspecify.annotations.NullMarked;
