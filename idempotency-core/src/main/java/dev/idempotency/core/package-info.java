/**
 * Runs work at most once per idempotency key, for any caller: an HTTP filter, a message consumer, a webhook, a
 * scheduled job. JDK only.
 *
 * <p>Start at {@link dev.idempotency.core.IdempotencyEngine}, which runs the claim-then-complete protocol: build one
 * around an {@link dev.idempotency.core.store.IdempotencyStore}, then either let
 * {@link dev.idempotency.core.IdempotencyEngine#execute execute} run the work, or
 * {@link dev.idempotency.core.IdempotencyEngine#begin begin} a claim and settle the
 * {@link dev.idempotency.core.ActiveClaim} yourself. A request is an {@link dev.idempotency.core.IdempotentRequest}
 * (an {@link dev.idempotency.core.IdempotencyKey} and a {@link dev.idempotency.core.RequestFingerprint}); the answer is
 * an {@link dev.idempotency.core.IdempotencyOutcome}. {@link dev.idempotency.core.ResultCodec} turns results into the
 * stored response and back, {@link dev.idempotency.core.OutcomePolicy} decides which results are stored, and an
 * {@link dev.idempotency.core.IdempotencyListener} observes the engine for metrics and logs.
 */
@NullMarked
package dev.idempotency.core;

import org.jspecify.annotations.NullMarked;
