/**
 * {@link dev.idempotency.core.store.memory.InMemoryIdempotencyStore}, a bounded store in the heap: for tests, for
 * non-HTTP use within one process, and as the Spring starter's fallback. Its records live as long as the process and
 * are not shared between instances.
 */
@NullMarked
package dev.idempotency.core.store.memory;

import org.jspecify.annotations.NullMarked;
