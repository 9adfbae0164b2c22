/**
 * The {@code idempotency} actuator endpoint, for operators: read what the store knows about a key, release a stuck
 * key, delete a completed record, count records by status. See {@link dev.idempotency.spring.actuate.IdempotencyEndpoint}.
 */
@NullMarked
package dev.idempotency.spring.actuate;

import org.jspecify.annotations.NullMarked;
