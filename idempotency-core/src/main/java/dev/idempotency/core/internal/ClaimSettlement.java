package dev.idempotency.core.internal;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.IdempotencyListener;
import dev.idempotency.core.IdempotencyListener.StoreOperation;
import dev.idempotency.core.IdempotencyOutcome.Completion;
import dev.idempotency.core.store.CompleteResult;
import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.core.store.IdempotencyStoreException;
import dev.idempotency.core.store.OwnerToken;
import dev.idempotency.core.store.RecoveryPoint;
import dev.idempotency.core.store.ReleaseResult;
import dev.idempotency.core.store.RenewResult;
import dev.idempotency.core.store.StoredResponse;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The store calls an acquired claim makes, all fenced by its owner token: its heartbeat's renewals and its
 * checkpoints while the work runs, and the one settling call when it is over, {@code complete} or {@code release}. One instance serves every claim of an
 * engine.
 *
 * <p>A settling call that fails with an {@link IdempotencyStoreException} is retried with exponential backoff (50 ms,
 * doubling, at most 2 s apart) while there are attempts left and the next attempt would start before the lease's
 * deadline, so work that ran is not run again because of a short outage. Other exceptions are bugs, not outages, and
 * are not retried; an interrupt ends the retries, the interrupt flag kept. Each retry is reported to
 * {@link IdempotencyListener#completionRetried}.
 */
public final class ClaimSettlement {

    /** The shortest lease a store accepts: a record released with it is free for a takeover on the next claim. */
    private static final Duration LEASE_ENDING_AT_ONCE = Duration.ofMillis(1);

    /** Logs under the engine's name: these are the engine's messages, and logging is configured for it. */
    private static final System.Logger LOG = System.getLogger("dev.idempotency.core.IdempotencyEngine");
    private static final long FIRST_RETRY_MILLIS = 50;
    private static final long MAX_RETRY_MILLIS = 2000;

    private final IdempotencyStore store;
    private final IdempotencyListener listener;
    private final Duration lease;
    private final int attempts;
    private final LongSupplier ticker;
    private final StackTraceThrottle storeFailures = new StackTraceThrottle(Duration.ofMinutes(1));

    /**
     * @param store the store, already reporting to {@code listener} (see {@link InstrumentedStore})
     * @param attempts how many times a settling call is tried, the first included
     * @param ticker the time scale of lease deadlines, {@link System#nanoTime()} but in tests
     */
    public ClaimSettlement(IdempotencyStore store, IdempotencyListener listener, Duration lease, int attempts,
            LongSupplier ticker) {
        this.store = store;
        this.listener = listener;
        this.lease = lease;
        this.attempts = attempts;
        this.ticker = ticker;
    }

    public IdempotencyListener listener() {
        return listener;
    }

    /** When a lease granted now runs out unless renewed, on the scale of {@code leaseDeadlineNanos}. */
    public long leaseDeadlineFromNow() {
        return ticker.getAsLong() + lease.toNanos();
    }

    /** Stores the result: {@link Completion#STORED}, {@link Completion#OWNERSHIP_LOST} or {@link Completion#STORE_FAILED}. */
    public Completion complete(IdempotencyKey key, OwnerToken owner, StoredResponse response, Duration ttl,
            long leaseDeadlineNanos) {
        return settle(StoreOperation.COMPLETE, key, leaseDeadlineNanos, Completion.STORED,
                () -> store.complete(key, owner, response, ttl) instanceof CompleteResult.OwnershipLost,
                e -> logStoreFailure("Could not store the result for " + key + "; the key stays in progress until its lease expires", e));
    }

    /**
     * Releases the key after work whose result is not stored: {@link Completion#RELEASED} or as {@link #complete}.
     *
     * @param keepRecoveryPoint the work recorded a recovery point, or resumed from one: the record is kept with a lease
     *     that ends at once instead of being deleted, so the next retry takes it over and resumes there rather than
     *     repeating phases that committed
     */
    public Completion release(IdempotencyKey key, OwnerToken owner, boolean keepRecoveryPoint, long leaseDeadlineNanos) {
        return settle(keepRecoveryPoint ? StoreOperation.RENEW : StoreOperation.RELEASE, key, leaseDeadlineNanos,
                Completion.RELEASED, () -> releaseOnce(key, owner, keepRecoveryPoint),
                e -> logStoreFailure("Could not release " + key + "; the key stays in progress until its lease expires", e));
    }

    /**
     * Releases the key after the work threw {@code failure}, as {@link #release}. A release that still fails is not
     * logged: its error is added to {@code failure} as a suppressed exception, since the work's own failure is what
     * the caller must see.
     */
    public Completion releaseAfterFailure(IdempotencyKey key, OwnerToken owner, boolean keepRecoveryPoint,
            Throwable failure, long leaseDeadlineNanos) {
        return settle(keepRecoveryPoint ? StoreOperation.RENEW : StoreOperation.RELEASE, key, leaseDeadlineNanos,
                Completion.RELEASED, () -> releaseOnce(key, owner, keepRecoveryPoint), failure::addSuppressed);
    }

    /** One fenced release; {@code true} when the key was found taken over. */
    private boolean releaseOnce(IdempotencyKey key, OwnerToken owner, boolean keepRecoveryPoint) {
        if (keepRecoveryPoint) {
            return store.renew(key, owner, LEASE_ENDING_AT_ONCE) instanceof RenewResult.OwnershipLost;
        }
        return store.release(key, owner) instanceof ReleaseResult.OwnershipLost;
    }

    /** A fenced lease renewal, for the claim's heartbeat. */
    public RenewResult renew(IdempotencyKey key, OwnerToken owner) {
        return store.renew(key, owner, lease);
    }

    /** A fenced checkpoint; {@code false} when another worker has taken the key over. */
    public boolean checkpoint(IdempotencyKey key, OwnerToken owner, RecoveryPoint recoveryPoint) {
        return !(store.checkpoint(key, owner, recoveryPoint, lease) instanceof RenewResult.OwnershipLost);
    }

    /**
     * Runs one settling call, with retries; {@code call} answers whether the key was found taken over. The store has
     * reported each failure to the listener already; {@code onStoreFailure} gets the last one.
     */
    private Completion settle(StoreOperation operation, IdempotencyKey key, long leaseDeadlineNanos, Completion done,
            BooleanSupplier call, Consumer<RuntimeException> onStoreFailure) {
        try {
            if (withRetries(operation, key, leaseDeadlineNanos, call)) {
                if (operation == StoreOperation.COMPLETE) {
                    LOG.log(Level.WARNING, "The claim on " + key + " was taken over while its work ran; "
                            + "the result was not stored and the new owner's record is untouched");
                }
                listener.ownershipLost(key);
                return Completion.OWNERSHIP_LOST;
            }
            return done;
        } catch (RuntimeException e) {
            onStoreFailure.accept(e);
            return Completion.STORE_FAILED;
        }
    }

    private boolean withRetries(StoreOperation operation, IdempotencyKey key, long leaseDeadlineNanos, BooleanSupplier call) {
        long delayMillis = FIRST_RETRY_MILLIS;
        for (int attempt = 1; ; attempt++) {
            try {
                return call.getAsBoolean();
            } catch (IdempotencyStoreException e) {
                boolean retry = attempt < attempts
                        && ticker.getAsLong() + TimeUnit.MILLISECONDS.toNanos(delayMillis) < leaseDeadlineNanos;
                if (!retry || !Pause.sleep(Duration.ofMillis(delayMillis))) {
                    throw e;
                }
                LOG.log(Level.DEBUG, () -> "Retrying " + operation + " of " + key + " after: " + e.getMessage());
                listener.completionRetried(key, operation, attempt + 1);
                delayMillis = Math.min(delayMillis * 2, MAX_RETRY_MILLIS);
            }
        }
    }

    /** An outage fails every settlement: one line each, the stack trace at most once a minute. */
    private void logStoreFailure(String message, RuntimeException error) {
        LOG.log(Level.ERROR, message + ": " + StackTraceThrottle.summary(error), storeFailures.stackTraceDue() ? error : null);
    }
}
