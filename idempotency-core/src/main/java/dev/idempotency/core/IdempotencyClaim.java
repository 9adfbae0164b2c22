package dev.idempotency.core;

/**
 * What {@link IdempotencyEngine#begin} found for one request: either the key is now this caller's
 * ({@link ActiveClaim}), and the caller runs the work and then {@linkplain ActiveClaim#finish finishes} or
 * {@linkplain ActiveClaim#abandon abandons} the claim, or the work must not run, and the claim is the outcome to
 * answer with: {@link IdempotencyOutcome.Replayed}, {@link IdempotencyOutcome.InProgress} or
 * {@link IdempotencyOutcome.FingerprintMismatch}.
 *
 * <pre>{@code
 * IdempotencyClaim<String> claim = engine.begin(request, codec, policy);
 * if (claim instanceof ActiveClaim<String> active) {
 *     String result;
 *     try {
 *         result = doTheWork(active);
 *     } catch (RuntimeException e) {
 *         active.abandon(e);
 *         throw e;
 *     }
 *     return active.finish(result);
 * }
 * // otherwise claim is IdempotencyOutcome.Replayed, .InProgress or .FingerprintMismatch: answer with it
 * }</pre>
 *
 * @param <T> what the work returns
 */
public sealed interface IdempotencyClaim<T>
        permits ActiveClaim, IdempotencyOutcome.Replayed, IdempotencyOutcome.InProgress, IdempotencyOutcome.FingerprintMismatch {}
