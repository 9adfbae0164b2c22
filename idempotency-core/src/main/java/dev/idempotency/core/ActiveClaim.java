package dev.idempotency.core;

import dev.idempotency.core.IdempotencyOutcome.Completion;
import dev.idempotency.core.internal.ClaimSettlement;
import dev.idempotency.core.internal.Heartbeats;
import dev.idempotency.core.internal.LeaseHeartbeat;
import dev.idempotency.core.store.ClaimResult;
import dev.idempotency.core.store.OwnerToken;
import dev.idempotency.core.store.RecoveryPoint;
import dev.idempotency.core.store.RenewResult;
import dev.idempotency.core.store.StoredResponse;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;

/**
 * A key claimed by {@link IdempotencyEngine#begin}: the caller owns it, runs the work, and then settles the claim
 * exactly once with {@link #finish} (the work returned a result) or {@link #abandon} (the work failed). Until then a
 * heartbeat renews the claim's lease, from the moment the claim was acquired, so the claim may outlive the thread
 * that acquired it: the work may be handed to another thread, and the claim settled there.
 *
 * <p>Settling is idempotent and thread-safe: the first call to {@code finish} or {@code abandon} settles the claim;
 * later calls, from any thread, change nothing (a concurrent one waits until the first is done). A claim that is never
 * settled holds its key until the process exits and its lease runs out, so callers settle it in every path, usually
 * with {@code abandon} in a {@code catch} and {@code finish} after the work returned.
 *
 * <p>The handle is also the work's {@link WorkContext} and {@link IdempotencyContext}: pass it to the work for
 * checkpoints, derived keys and ownership checks.
 *
 * @param <T> what the work returns
 */
public final class ActiveClaim<T> implements IdempotencyClaim<T>, WorkContext {

    private static final System.Logger LOG = System.getLogger(IdempotencyEngine.class.getName());

    private final ClaimSettlement settlement;
    private final ActiveClaims activeClaims;
    private final IdempotencyKey key;
    private final ClaimResult.Acquired acquired;
    private final OwnerToken owner;
    private final Duration ttl;
    private final ResultCodec<T> codec;
    private final OutcomePolicy<T> policy;
    private final Object settleLock = new Object();
    private volatile LeaseHeartbeat heartbeat;
    private volatile boolean ownershipLost;
    /**
     * Set when the work started from a recovery point or recorded one: releasing the key then keeps its record (and
     * the last recovery point that committed) for the retry to resume from.
     */
    private volatile boolean resumable;
    /** Set when settling starts: from then on, the store's answer to complete or release says who owns the key. */
    private volatile boolean settling;
    /** When the lease runs out if the heartbeat never renews it. */
    private final long firstLeaseDeadlineNanos;
    /** Guarded by {@link #settleLock}; {@code null} while the claim is held. */
    private Completion settled;
    /** Guarded by {@link #settleLock}; set when {@link #finish} settled the claim. */
    private IdempotencyOutcome.Executed<T> finished;

    private ActiveClaim(ClaimSettlement settlement, ActiveClaims activeClaims, IdempotencyKey key, ClaimResult.Acquired acquired,
            Duration ttl, ResultCodec<T> codec, OutcomePolicy<T> policy) {
        this.settlement = settlement;
        this.activeClaims = activeClaims;
        this.firstLeaseDeadlineNanos = settlement.leaseDeadlineFromNow();
        this.key = key;
        this.acquired = acquired;
        this.owner = acquired.record().ownerToken();
        this.ttl = ttl;
        this.codec = codec;
        this.policy = policy;
        this.resumable = acquired.record().lastRecoveryPoint().isPresent();
    }

    /**
     * Step 4 of the engine's protocol: tracks a claim acquired just now among the engine's active claims and starts
     * its heartbeat. A claim whose heartbeat cannot start is released at once rather than run without a lease.
     *
     * @throws IdempotencyEngineClosedException when the engine closed while the claim was being acquired
     */
    static <T> ActiveClaim<T> start(ClaimSettlement settlement, ActiveClaims activeClaims, Heartbeats heartbeats,
            IdempotencyKey key, ClaimResult.Acquired acquired, Duration ttl, ResultCodec<T> codec, OutcomePolicy<T> policy) {
        ActiveClaim<T> claim = new ActiveClaim<>(settlement, activeClaims, key, acquired, ttl, codec, policy);
        activeClaims.add(claim);
        try {
            claim.heartbeat = heartbeats.start(() -> settlement.renew(key, claim.owner), claim::heartbeatLostOwnership,
                    error -> LOG.log(Level.WARNING, "Heartbeat for " + key + " failed; retrying at the next interval", error));
        } catch (RejectedExecutionException closedMeanwhile) {
            // close() gave up waiting while this claim was being acquired: release it rather than run without a lease.
            claim.abandon(closedMeanwhile);
            throw new IdempotencyEngineClosedException("The idempotency engine closed while " + key + " was being claimed");
        } catch (RuntimeException | Error failure) {
            // No heartbeat: the claim is released rather than left to expire.
            claim.abandon(failure);
            throw failure;
        }
        return claim;
    }

    /**
     * Settles the claim with the work's result: asks the {@link OutcomePolicy}, then stores the encoded result
     * ({@code complete}) or releases the key, both fenced by this claim's owner token. A claim that was taken over
     * meanwhile leaves the new owner's record untouched and reports {@link Completion#OWNERSHIP_LOST}. A store failure
     * is retried with exponential backoff while the lease lasts (the heartbeat keeps renewing it meanwhile), up to the
     * engine's {@linkplain IdempotencyEngine.Builder#completionAttempts completion attempts}; if every attempt fails,
     * the outcome is {@link Completion#STORE_FAILED} and the key stays in progress until its lease expires. Either way
     * the result is returned.
     *
     * <p>If the policy or the codec throws, the claim is {@linkplain #abandon abandoned} with that exception, which
     * is then rethrown.
     *
     * <p>Only the first settling call counts: a later {@code finish} returns the first one's outcome; after
     * {@link #abandon}, it stores nothing and returns {@code result} with what the abandon's release did.
     *
     * @return the executed outcome, as {@link IdempotencyEngine#execute} would have returned it
     */
    public IdempotencyOutcome.Executed<T> finish(T result) {
        synchronized (settleLock) {
            if (settled != null) {
                return finished != null ? finished : new IdempotencyOutcome.Executed<>(result, settled, isTakeover());
            }
            boolean store;
            StoredResponse encoded;
            try {
                store = policy.shouldStore(result);
                encoded = store ? codec.encode(result) : null;
            } catch (RuntimeException | Error failure) {
                abandon(failure);
                throw failure;
            }
            Completion completion;
            settling = true;
            if (!store) {
                stopHeartbeatIfResumable();
            }
            try {
                // The heartbeat keeps renewing while complete or release is retried, and stops after the last attempt.
                long deadline = leaseDeadlineNanos();
                completion = store ? settlement.complete(key, owner, encoded, ttl, deadline)
                        : settlement.release(key, owner, resumable, deadline);
            } finally {
                stopHeartbeat();
                activeClaims.settled(this);
            }
            settled = completion;
            finished = new IdempotencyOutcome.Executed<>(result, completion, isTakeover());
            settlement.listener().executed(key, completion, isTakeover());
            return finished;
        }
    }

    /**
     * Settles the claim after the work failed: releases the key (fenced by this claim's owner token) so a retry runs
     * afresh, or, when the work recorded a recovery point or resumed from one, ends its lease at once and keeps the
     * record, so the retry takes it over and resumes from the last recovery point that committed; then stops the
     * heartbeat, and reports the failure to the listener. A release that fails in the store is retried like a
     * {@code complete} in {@link #finish}; if it still fails, the last error is added to {@code failure} as a
     * suppressed exception and the key stays in progress until its lease expires. Does nothing when the claim is
     * already settled.
     */
    public void abandon(Throwable failure) {
        Objects.requireNonNull(failure, "failure");
        synchronized (settleLock) {
            if (settled != null) {
                return;
            }
            settling = true;
            stopHeartbeatIfResumable();
            try {
                settled = settlement.releaseAfterFailure(key, owner, resumable, failure, leaseDeadlineNanos());
            } finally {
                stopHeartbeat();
                activeClaims.settled(this);
            }
            settlement.listener().failed(key, failure);
        }
    }

    /**
     * Runs {@code work} on the calling thread with this claim as its context, then settles the claim: finishes it with
     * the result, or abandons it and rethrows when the work throws (a checked exception wrapped in
     * {@link IdempotentWorkException}).
     */
    IdempotencyOutcome.Executed<T> run(IdempotentWork<T> work) {
        T result;
        try {
            result = work.run(this);
        } catch (Throwable failure) {
            abandon(failure);
            throw rethrow(failure);
        }
        return finish(result);
    }

    private static RuntimeException rethrow(Throwable failure) {
        if (failure instanceof RuntimeException runtime) {
            return runtime;
        }
        if (failure instanceof Error error) {
            throw error;
        }
        return new IdempotentWorkException(failure);
    }

    /** {@code true} once {@link #finish} or {@link #abandon} has settled the claim. */
    public boolean isSettled() {
        synchronized (settleLock) {
            return settled != null;
        }
    }

    @Override
    public IdempotencyKey key() {
        return key;
    }

    @Override
    public OwnerToken ownerToken() {
        return owner;
    }

    @Override
    public boolean isTakeover() {
        return acquired.takeover();
    }

    @Override
    public Optional<RecoveryPoint> recoveryPoint() {
        return acquired.record().lastRecoveryPoint();
    }

    @Override
    public void checkpoint(RecoveryPoint recoveryPoint) {
        // Set before the write: a checkpoint whose transaction commits after a failure here must still be kept.
        resumable = true;
        if (!settlement.checkpoint(key, owner, recoveryPoint)) {
            markOwnershipLost();
            throw new OwnershipLostException(key);
        }
    }

    /**
     * Renews the lease with one fenced store write; a store that answers that another worker owns the key marks this
     * run as having lost it. A store failure propagates as {@link dev.idempotency.core.store.IdempotencyStoreException}:
     * ownership is then unknown, and work about to do something irreversible should not go on either.
     */
    @Override
    public void ensureOwned() {
        if (settlement.renew(key, owner) instanceof RenewResult.OwnershipLost) {
            markOwnershipLost();
            throw new OwnershipLostException(key);
        }
    }

    @Override
    public boolean ownershipLost() {
        return ownershipLost;
    }

    void markOwnershipLost() {
        if (!ownershipLost) {
            ownershipLost = true;
            LOG.log(Level.WARNING, "Lost the claim on " + key + " to another worker while the work was running");
            settlement.listener().ownershipLost(key);
        }
    }

    /**
     * The heartbeat's report of a lost lease. Ignored once settling started: a renewal that raced with a successful
     * complete finds the record completed, which is not a loss, and a real loss is reported by complete or release.
     */
    void heartbeatLostOwnership() {
        if (!settling) {
            markOwnershipLost();
        }
    }

    /** When the lease runs out unless renewed again; see {@link LeaseHeartbeat#leaseDeadlineNanos()}. */
    private long leaseDeadlineNanos() {
        LeaseHeartbeat running = heartbeat;
        return running != null ? running.leaseDeadlineNanos() : firstLeaseDeadlineNanos;
    }

    /**
     * A release that keeps the recovery point ends the lease at once: a renewal the heartbeat sent after it would push
     * the lease out again and keep the retry waiting, so the heartbeat stops first. (One already under way may still
     * land; the retry then waits for that lease.)
     */
    private void stopHeartbeatIfResumable() {
        if (resumable) {
            stopHeartbeat();
        }
    }

    void stopHeartbeat() {
        LeaseHeartbeat running = heartbeat;
        if (running != null) {
            running.stop();
        }
    }

    @Override
    public String toString() {
        return "ActiveClaim[" + key + (acquired.takeover() ? ", takeover" : "") + "]";
    }
}
