/**
 * What an application uses: {@link dev.idempotency.spring.Idempotent} on a handler method, the
 * {@code idempotency.*} properties ({@link dev.idempotency.spring.IdempotencyProperties}), the scope SPI
 * ({@link dev.idempotency.spring.IdempotencyScopeResolver}, {@link dev.idempotency.spring.PrincipalScopeResolver}, the
 * {@link dev.idempotency.spring.DefaultIdempotencyScopeResolver} marker), the
 * {@link dev.idempotency.spring.IdempotencyDataSource} qualifier, and the types the filter reports with
 * ({@link dev.idempotency.spring.IdempotencyProblem}, {@link dev.idempotency.spring.NotReplayableReason},
 * {@link dev.idempotency.spring.IdempotencyWebListener}).
 */
@NullMarked
package dev.idempotency.spring;

import org.jspecify.annotations.NullMarked;
