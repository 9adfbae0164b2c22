package dev.idempotency.core;

import dev.idempotency.core.IdempotencyListener.StoreOperation;
import dev.idempotency.core.IdempotencyOutcome.Completion;
import dev.idempotency.core.internal.LeaseHeartbeat;
import dev.idempotency.core.internal.StackTraceThrottle;
import dev.idempotency.core.store.ClaimRequest;
import dev.idempotency.core.store.ClaimResult;
import dev.idempotency.core.store.CompleteResult;
import dev.idempotency.core.store.IdempotencyRecord;
import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.core.store.IdempotencyStoreException;
import dev.idempotency.core.store.OwnerToken;
import dev.idempotency.core.store.RecoveryPoint;
import dev.idempotency.core.store.ReleaseResult;
import dev.idempotency.core.store.RenewResult;
import dev.idempotency.core.store.StoredResponse;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Runs work at most once per key: the claim-then-complete protocol, written once for every caller (the HTTP
 * filter, message consumers, webhooks, scheduled jobs).
 *
 * <p>{@link #begin} performs steps 1 to 3 and, when the claim is acquired, returns it as an {@link ActiveClaim}
 * whose heartbeat (step 4) already runs; the caller runs the work, on any thread, and settles the claim with
 * {@link ActiveClaim#finish} (step 5) or {@link ActiveClaim#abandon} (step 6). {@link #execute} does all of it around
 * an {@link IdempotentWork} on the calling thread. For each request:
 * <ol>
 *   <li>Claim the key in the store with a fresh {@link OwnerToken}, a lease and a TTL. The claim is one atomic
 *       store operation, so of many concurrent requests with one key exactly one acquires it.</li>
 *   <li>If the key is already completed, compare fingerprints: equal means return the stored result decoded by
 *       the codec ({@link IdempotencyOutcome.Replayed}); different means
 *       {@link IdempotencyOutcome.FingerprintMismatch}. The work does not run.</li>
 *   <li>If another worker holds the key, compare fingerprints: different means
 *       {@link IdempotencyOutcome.FingerprintMismatch}. Otherwise wait up to the request's in-flight wait,
 *       re-claiming with backoff (a re-claim replays the result once the other worker completes, or takes the key
 *       over once its lease expires); when the wait is over, is interrupted, or a re-claim fails in the store, return
 *       {@link IdempotencyOutcome.InProgress}.</li>
 *   <li>If the claim is acquired, start a heartbeat at once that renews the lease every {@code heartbeatInterval},
 *       each renewal on its own thread so a slow one cannot starve other claims, and run the work. A renewal that
 *       has not answered within {@code renewalTimeout} (waiting for a pooled connection, say) is interrupted and
 *       counted as failed, and the next heartbeat sends a fresh one. A heartbeat that finds the key taken over, or
 *       that could not renew it for a whole lease, marks the run as having lost ownership. The heartbeat runs until
 *       the claim is settled (step 5 or 6), however long that is and whichever thread settles it.</li>
 *   <li>When the work returns ({@link ActiveClaim#finish}), ask the {@link OutcomePolicy}: store means
 *       {@code complete} with the encoded result, otherwise {@code release}; then stop the heartbeat. Both are fenced
 *       by the owner token, so a run that lost its lease can neither overwrite nor delete the new owner's record; it
 *       is told so ({@link Completion#OWNERSHIP_LOST}) and the new owner's record stays as it is. A policy or codec
 *       that throws counts as a failure of the work (step 6).</li>
 *   <li>When the work throws ({@link ActiveClaim#abandon}), release the claim (fenced), so the caller can retry, and
 *       stop the heartbeat; {@code execute} then rethrows. A claim is settled once: a second {@code finish} or
 *       {@code abandon}, from any thread, changes nothing.</li>
 *   <li>If the store fails during the first claim, nothing runs and {@link IdempotencyStoreException} propagates:
 *       the engine fails closed. (A re-claim that fails while waiting for another worker answers
 *       {@link IdempotencyOutcome.InProgress}, as in step 3, since the key is known to be held.) If it fails during
 *       complete or release, the call is retried with exponential backoff (50 ms,
 *       doubling, at most 2 s apart) while the heartbeat keeps renewing the lease,
 *       for at most {@linkplain Builder#completionAttempts completion attempts} and never past the end of the lease as
 *       it stood when settling began: work that ran is not run again because of a short outage. If every attempt
 *       fails, the result is still returned ({@link Completion#STORE_FAILED}); the record stays in progress until its
 *       lease expires, and then a retry runs afresh.</li>
 * </ol>
 *
 * <p>Instances are thread-safe and meant to be shared. The engine tracks its active claims (acquired, not yet
 * settled) so it can stop without handing a running claim's key to another instance: {@link #shutdown()} refuses new
 * claims, {@link #awaitSettled} waits for the active ones, and {@link #close()} does both and then stops the
 * heartbeats; see there.
 */
public final class IdempotencyEngine implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(IdempotencyEngine.class.getName());
    private static final Duration MIN_RETRY_AFTER = Duration.ofSeconds(1);
    private static final Duration FIRST_POLL_DELAY = Duration.ofMillis(20);
    private static final Duration MAX_POLL_DELAY = Duration.ofMillis(500);
    private static final long FIRST_SETTLE_RETRY_MILLIS = 50;
    private static final long MAX_SETTLE_RETRY_MILLIS = 2000;

    private final IdempotencyStore store;
    private final Clock clock;
    private final Duration defaultTtl;
    private final Duration lease;
    private final Duration heartbeatInterval;
    private final StackTraceThrottle storeFailures = new StackTraceThrottle(Duration.ofMinutes(1));
    private final Duration renewalTimeout;
    private final IdempotencyListener listener;
    private final ScheduledExecutorService heartbeatScheduler;
    private final boolean ownsScheduler;
    private final ExecutorService renewals;
    private final Duration shutdownTimeout;
    private final int completionAttempts;

    /** Guards the lifecycle state below; notified whenever a claim settles or a {@code begin} ends. */
    private final Object lifecycle = new Object();
    /** Claims acquired and not yet settled. Guarded by {@link #lifecycle}. */
    private final Set<ActiveClaim<?>> activeClaims = new HashSet<>();
    /** Calls of {@link #begin} under way, which may still acquire a claim. Guarded by {@link #lifecycle}. */
    private int beginsUnderWay;
    /** {@link System#nanoTime()} when {@link #shutdown()} was first called. Guarded by {@link #lifecycle}. */
    private long shutdownStartedNanos;
    /** Guarded by {@link #lifecycle}. */
    private boolean closed;
    private volatile boolean shuttingDown;

    private IdempotencyEngine(Builder builder) {
        this.store = builder.store;
        this.clock = builder.clock;
        this.defaultTtl = builder.defaultTtl;
        this.lease = builder.lease;
        this.heartbeatInterval = builder.heartbeatInterval != null ? builder.heartbeatInterval : builder.lease.dividedBy(3);
        if (this.heartbeatInterval.compareTo(lease) >= 0) {
            throw new IllegalArgumentException("heartbeatInterval (" + heartbeatInterval + ") must be shorter than the lease (" + lease + ")");
        }
        this.renewalTimeout = builder.renewalTimeout != null ? builder.renewalTimeout : defaultRenewalTimeout(heartbeatInterval);
        if (renewalTimeout.compareTo(lease) >= 0) {
            throw new IllegalArgumentException("renewalTimeout (" + renewalTimeout + ") must be shorter than the lease (" + lease + ")");
        }
        if (defaultTtl.compareTo(lease) < 0) {
            throw new IllegalArgumentException("ttl (" + defaultTtl + ") must be at least the lease (" + lease + ")");
        }
        this.listener = new GuardedListener(builder.listener);
        this.ownsScheduler = builder.heartbeatScheduler == null;
        this.heartbeatScheduler = ownsScheduler ? defaultScheduler() : builder.heartbeatScheduler;
        this.renewals = Executors.newCachedThreadPool(daemonThreads("idempotency-lease-renewal"));
        this.shutdownTimeout = builder.shutdownTimeout;
        this.completionAttempts = builder.completionAttempts;
    }

    public static Builder builder(IdempotencyStore store) {
        return new Builder(store);
    }

    /** Runs {@code work} at most once per key and stores every result it returns. */
    public <T> IdempotencyOutcome<T> execute(IdempotentRequest request, ResultCodec<T> codec, IdempotentWork<T> work) {
        return execute(request, codec, OutcomePolicy.storeAll(), work);
    }

    /**
     * Runs {@code work} at most once per key; see the class Javadoc for the protocol. The work runs on the calling
     * thread, after {@link #begin} acquired the claim, with the {@link ActiveClaim} as its context.
     *
     * @throws IdempotencyStoreException when the key could not be claimed; the work did not run
     * @throws IdempotencyEngineClosedException when the engine is shutting down; the work did not run
     * @throws IdempotentWorkException wrapping a checked exception thrown by the work, after the claim was released
     */
    public <T> IdempotencyOutcome<T> execute(
            IdempotentRequest request, ResultCodec<T> codec, OutcomePolicy<T> policy, IdempotentWork<T> work) {
        Objects.requireNonNull(work, "work");
        IdempotencyClaim<T> claim = begin(request, codec, policy);
        if (!(claim instanceof ActiveClaim<T> active)) {
            return notExecuted(claim);
        }
        T result;
        try {
            result = work.run(active);
        } catch (Throwable failure) {
            active.abandon(failure);
            throw rethrow(failure);
        }
        return active.finish(result);
    }

    /**
     * Claims the key for work the caller runs itself: steps 1 to 3 of the protocol in the class Javadoc. Waits for
     * another worker that holds the key for up to the request's in-flight wait.
     *
     * <p>When the claim is acquired, the answer is an {@link ActiveClaim} whose lease heartbeat already runs; the
     * caller must settle it, with {@link ActiveClaim#finish} once the work returned or {@link ActiveClaim#abandon} if
     * it failed, from any thread. Otherwise the work must not run, and the answer is the outcome for the caller:
     * {@link IdempotencyOutcome.Replayed}, {@link IdempotencyOutcome.InProgress} or
     * {@link IdempotencyOutcome.FingerprintMismatch}.
     *
     * @param policy decides, when the claim is finished, whether its result is stored or the key released
     * @throws IdempotencyStoreException when the store failed and nothing is known about the key; the work must not
     *     run (or, for a caller that fails open, runs unprotected)
     * @throws IdempotencyEngineClosedException when {@link #shutdown()} or {@link #close()} was called; nothing was
     *     claimed and the work must not run, not even for a caller that fails open
     */
    public <T> IdempotencyClaim<T> begin(IdempotentRequest request, ResultCodec<T> codec, OutcomePolicy<T> policy) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(codec, "codec");
        Objects.requireNonNull(policy, "policy");
        synchronized (lifecycle) {
            if (shuttingDown) {
                throw new IdempotencyEngineClosedException("The idempotency engine is shutting down and takes no new claims");
            }
            beginsUnderWay++;
        }
        try {
            return claimOrWait(request, codec, policy);
        } finally {
            synchronized (lifecycle) {
                beginsUnderWay--;
                lifecycle.notifyAll();
            }
        }
    }

    private <T> IdempotencyClaim<T> claimOrWait(IdempotentRequest request, ResultCodec<T> codec, OutcomePolicy<T> policy) {
        // A record must outlive its lease, or a running claim could expire under its owner; a shorter per-request
        // TTL is raised to the lease rather than failing every request that names it.
        Duration ttl = request.ttl() != null ? max(request.ttl(), lease) : defaultTtl;
        Instant waitDeadline = clock.instant().plus(request.inFlightWait());
        Duration pollDelay = FIRST_POLL_DELAY;
        IdempotencyRecord heldBy = null;
        while (true) {
            ClaimResult claim;
            try {
                claim = claim(request, ttl);
            } catch (IdempotencyStoreException e) {
                if (heldBy == null) {
                    throw e;
                }
                // The key is known to be held by another request; a store failure while waiting for it must not be
                // mistaken for "nothing is known", which a fail-open caller would answer by running the work.
                listener.inFlightConflict(request.key());
                return new IdempotencyOutcome.InProgress<>(heldBy, retryAfter(heldBy));
            }
            IdempotencyRecord record = claim.record();
            if (claim instanceof ClaimResult.Acquired acquired) {
                return activate(request.key(), acquired, ttl, codec, policy);
            }
            if (!record.fingerprint().equals(request.fingerprint())) {
                listener.fingerprintMismatch(request.key());
                return new IdempotencyOutcome.FingerprintMismatch<>(record);
            }
            if (claim instanceof ClaimResult.AlreadyCompleted) {
                listener.replayed(request.key());
                return new IdempotencyOutcome.Replayed<>(codec.decode(record.response()), record);
            }
            heldBy = record;
            Duration left = Duration.between(clock.instant(), waitDeadline);
            // A shutdown ends the wait: the key is held by another worker, and this engine takes no new claims.
            if (left.isNegative() || left.isZero() || shuttingDown) {
                listener.inFlightConflict(request.key());
                return new IdempotencyOutcome.InProgress<>(record, retryAfter(record));
            }
            if (!sleep(min(pollDelay, left))) {
                // Interrupted while waiting: answer as if the wait were over; the interrupt flag stays set.
                listener.inFlightConflict(request.key());
                return new IdempotencyOutcome.InProgress<>(record, retryAfter(record));
            }
            pollDelay = min(pollDelay.multipliedBy(2), MAX_POLL_DELAY);
        }
    }

    /** Purges one batch of expired records; see {@link IdempotencyStore#purgeExpired}. */
    public int purgeExpired(int batchSize) {
        return timed(StoreOperation.PURGE, null, () -> store.purgeExpired(batchSize)).deleted();
    }

    public IdempotencyStore store() {
        return store;
    }

    public Duration lease() {
        return lease;
    }

    public Duration defaultTtl() {
        return defaultTtl;
    }

    /** How long one lease renewal may take before it is interrupted and the next heartbeat tries again. */
    public Duration renewalTimeout() {
        return renewalTimeout;
    }

    /**
     * Starts a graceful shutdown: from now on {@link #begin} and {@link #execute} throw
     * {@link IdempotencyEngineClosedException} and claim nothing. Active claims are not affected: their heartbeats keep
     * renewing their leases until they settle or {@link #close()} stops them. A {@code begin} already waiting for
     * another worker's key answers {@link IdempotencyOutcome.InProgress} at its next poll. Calling it again does
     * nothing.
     */
    public void shutdown() {
        synchronized (lifecycle) {
            if (!shuttingDown) {
                shuttingDown = true;
                shutdownStartedNanos = System.nanoTime();
            }
        }
    }

    /** {@code true} once {@link #shutdown()} or {@link #close()} was called. */
    public boolean isShutdown() {
        return shuttingDown;
    }

    /** How many claims are acquired and not yet settled. */
    public int activeClaimCount() {
        synchronized (lifecycle) {
            return activeClaims.size();
        }
    }

    /**
     * Waits until every active claim has settled and no {@link #begin} is under way, or until {@code timeout} passed.
     * Meant to follow {@link #shutdown()}; without it, new claims may keep the engine busy.
     *
     * @return {@code true} if nothing was active any more, {@code false} if the timeout passed first
     * @throws InterruptedException if the waiting thread was interrupted
     */
    public boolean awaitSettled(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + Math.max(0, timeout.toNanos());
        synchronized (lifecycle) {
            while (!activeClaims.isEmpty() || beginsUnderWay > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(lifecycle, left);
            }
            return true;
        }
    }

    /**
     * Stops the engine gracefully; what it does, in order:
     * <ol>
     *   <li>{@link #shutdown()}: new claims are refused with {@link IdempotencyEngineClosedException};</li>
     *   <li>waits until every active claim has settled, for at most the {@linkplain Builder#shutdownTimeout shutdown
     *       timeout} counted from when the shutdown began (so after {@code shutdown()} and {@link #awaitSettled} it
     *       only waits for what is left of it); the heartbeats of active claims keep renewing their leases
     *       meanwhile;</li>
     *   <li>stops the heartbeats of claims still active after that, logging them: their leases are no longer renewed,
     *       so once a lease runs out another instance may take the key over while the work still runs. Such a claim
     *       can still be settled; its complete or release stays fenced by its owner token;</li>
     *   <li>stops the lease-renewal threads, and the heartbeat scheduler if the engine created it.</li>
     * </ol>
     * If the calling thread is interrupted while waiting, it stops waiting and goes on with step 3, the interrupt
     * flag kept. Calling it again does nothing.
     */
    @Override
    public void close() {
        shutdown();
        long waitNanos;
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            waitNanos = shutdownTimeout.toNanos() - (System.nanoTime() - shutdownStartedNanos);
        }
        try {
            awaitSettled(Duration.ofNanos(Math.max(0, waitNanos)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<ActiveClaim<?>> stillActive;
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            closed = true;
            stillActive = List.copyOf(activeClaims);
        }
        if (!stillActive.isEmpty()) {
            LOG.log(Level.WARNING, stillActive.size() + " idempotency claim(s) still running when the engine closed; their "
                    + "leases are no longer renewed, and another instance may take their keys over once the leases run "
                    + "out: " + stillActive);
        }
        stillActive.forEach(ActiveClaim::stopHeartbeat);
        if (ownsScheduler) {
            heartbeatScheduler.shutdownNow();
        }
        renewals.shutdown();
    }

    /** Called by a claim once it has settled (its complete or release is over), whatever the outcome. */
    void settled(ActiveClaim<?> claim) {
        synchronized (lifecycle) {
            if (activeClaims.remove(claim)) {
                lifecycle.notifyAll();
            }
        }
    }

    private ClaimResult claim(IdempotentRequest request, Duration ttl) {
        ClaimRequest claimRequest = new ClaimRequest(request.key(), request.fingerprint(), OwnerToken.random(), lease, ttl);
        ClaimResult result = timed(StoreOperation.CLAIM, request.key(), () -> store.claim(claimRequest));
        if (result instanceof ClaimResult.Acquired acquired && acquired.takeover()) {
            listener.leaseTakeover(request.key());
        }
        return result;
    }

    private <T> ActiveClaim<T> activate(IdempotencyKey key, ClaimResult.Acquired acquired, Duration ttl,
            ResultCodec<T> codec, OutcomePolicy<T> policy) {
        ActiveClaim<T> claim = new ActiveClaim<>(this, key, acquired, ttl, codec, policy);
        OwnerToken owner = claim.ownerToken();
        synchronized (lifecycle) {
            activeClaims.add(claim);
        }
        try {
            claim.startHeartbeat(LeaseHeartbeat.start(heartbeatScheduler, renewals, heartbeatInterval, lease, renewalTimeout,
                    () -> timed(StoreOperation.RENEW, key, () -> this.store.renew(key, owner, lease)),
                    claim::heartbeatLostOwnership,
                    error -> LOG.log(Level.WARNING, "Heartbeat for " + key + " failed; retrying at the next interval", error)));
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

    Completion complete(IdempotencyKey key, OwnerToken owner, StoredResponse response, Duration ttl, long leaseDeadlineNanos) {
        try {
            CompleteResult result = settleWithRetries(StoreOperation.COMPLETE, key, leaseDeadlineNanos,
                    () -> this.store.complete(key, owner, response, ttl));
            if (result instanceof CompleteResult.OwnershipLost) {
                LOG.log(Level.WARNING, "The claim on " + key + " was taken over while its work ran; "
                        + "the result was not stored and the new owner's record is untouched");
                listener.ownershipLost(key);
                return Completion.OWNERSHIP_LOST;
            }
            return Completion.STORED;
        } catch (RuntimeException e) {
            logStoreFailure("Could not store the result for " + key + "; the key stays in progress until its lease expires", e);
            return Completion.STORE_FAILED;
        }
    }

    Completion release(IdempotencyKey key, OwnerToken owner, long leaseDeadlineNanos) {
        try {
            ReleaseResult result = settleWithRetries(StoreOperation.RELEASE, key, leaseDeadlineNanos, () -> store.release(key, owner));
            if (result instanceof ReleaseResult.OwnershipLost) {
                listener.ownershipLost(key);
                return Completion.OWNERSHIP_LOST;
            }
            return Completion.RELEASED;
        } catch (RuntimeException e) {
            logStoreFailure("Could not release " + key + "; the key stays in progress until its lease expires", e);
            return Completion.STORE_FAILED;
        }
    }

    Completion releaseAfterFailure(IdempotencyKey key, OwnerToken owner, Throwable failure, long leaseDeadlineNanos) {
        try {
            if (settleWithRetries(StoreOperation.RELEASE, key, leaseDeadlineNanos, () -> store.release(key, owner))
                    instanceof ReleaseResult.OwnershipLost) {
                listener.ownershipLost(key);
                return Completion.OWNERSHIP_LOST;
            }
            return Completion.RELEASED;
        } catch (RuntimeException releaseError) {
            // timed() has reported it to the listener; the work's own failure is what the caller must see.
            failure.addSuppressed(releaseError);
            return Completion.STORE_FAILED;
        }
    }

    /**
     * Runs a complete or release, retrying it after an {@link IdempotencyStoreException} with exponential backoff while
     * there are attempts left and the next one would start before {@code leaseDeadlineNanos}. Other exceptions are not
     * retried: they are bugs, not outages. An interrupt ends the retries, the interrupt flag kept.
     */
    private <R> R settleWithRetries(StoreOperation operation, IdempotencyKey key, long leaseDeadlineNanos, Supplier<R> call) {
        long delayMillis = FIRST_SETTLE_RETRY_MILLIS;
        for (int attempt = 1; ; attempt++) {
            try {
                return timed(operation, key, call);
            } catch (IdempotencyStoreException e) {
                boolean retry = attempt < completionAttempts
                        && System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delayMillis) < leaseDeadlineNanos;
                if (!retry || !sleep(Duration.ofMillis(delayMillis))) {
                    throw e;
                }
                LOG.log(Level.DEBUG, () -> "Retrying " + operation + " of " + key + " after: " + e.getMessage());
                listener.completionRetried(key, operation, attempt + 1);
                delayMillis = Math.min(delayMillis * 2, MAX_SETTLE_RETRY_MILLIS);
            }
        }
    }

    /** A fenced checkpoint; {@code false} when another worker has taken the key over. */
    boolean checkpoint(IdempotencyKey key, OwnerToken owner, RecoveryPoint recoveryPoint) {
        RenewResult result = timed(StoreOperation.CHECKPOINT, key, () -> store.checkpoint(key, owner, recoveryPoint, lease));
        return !(result instanceof RenewResult.OwnershipLost);
    }

    /** An outage fails every settlement: one line each, the stack trace at most once a minute. */
    private void logStoreFailure(String message, RuntimeException error) {
        LOG.log(Level.ERROR, message + ": " + StackTraceThrottle.summary(error), storeFailures.stackTraceDue() ? error : null);
    }

    void ownershipLostWhileRunning(IdempotencyKey key) {
        LOG.log(Level.WARNING, "Lost the claim on " + key + " to another worker while the work was running");
        listener.ownershipLost(key);
    }

    IdempotencyListener listener() {
        return listener;
    }

    private <R> R timed(StoreOperation operation, IdempotencyKey key, Supplier<R> call) {
        long start = System.nanoTime();
        try {
            return call.get();
        } catch (RuntimeException e) {
            listener.storeError(operation, key, e);
            throw e;
        } finally {
            listener.storeLatency(operation, Duration.ofNanos(System.nanoTime() - start));
        }
    }

    private Duration retryAfter(IdempotencyRecord record) {
        Duration left = record.leaseExpiresAt() == null ? lease : Duration.between(clock.instant(), record.leaseExpiresAt());
        // The record's time comes from the store's clock; clamping keeps a skewed server clock from producing
        // a nonsensical hint.
        if (left.compareTo(MIN_RETRY_AFTER) < 0) {
            return MIN_RETRY_AFTER;
        }
        return min(left, lease);
    }

    /** The outcome a claim that was not acquired stands for. */
    private static <T> IdempotencyOutcome<T> notExecuted(IdempotencyClaim<T> claim) {
        if (claim instanceof IdempotencyOutcome.Replayed<T> replayed) {
            return replayed;
        }
        if (claim instanceof IdempotencyOutcome.InProgress<T> inProgress) {
            return inProgress;
        }
        if (claim instanceof IdempotencyOutcome.FingerprintMismatch<T> mismatch) {
            return mismatch;
        }
        throw new IllegalStateException("not an outcome: " + claim);
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

    /**
     * Half the heartbeat interval: a renewal that has not answered by then is cancelled well before the next tick,
     * which then sends a fresh one, and a claim gets several tries within its lease.
     */
    private static Duration defaultRenewalTimeout(Duration heartbeatInterval) {
        Duration half = heartbeatInterval.dividedBy(2);
        return half.isZero() ? heartbeatInterval : half;
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /** Sleeps; {@code false} when interrupted, with the interrupt flag restored. */
    private static boolean sleep(Duration duration) {
        try {
            Thread.sleep(Math.max(1, duration.toMillis()));
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static ScheduledExecutorService defaultScheduler() {
        ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1, daemonThreads("idempotency-heartbeat"));
        scheduler.setRemoveOnCancelPolicy(true);
        return scheduler;
    }

    private static ThreadFactory daemonThreads(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }

    /**
     * Keeps a listener's mistakes out of the protocol: a listener that throws after a claim was acquired must not
     * leave the claim unreleased.
     */
    private static final class GuardedListener implements IdempotencyListener {

        private final IdempotencyListener delegate;

        GuardedListener(IdempotencyListener delegate) {
            this.delegate = delegate;
        }

        @Override
        public void executed(IdempotencyKey key, Completion completion, boolean takeover) {
            guard(() -> delegate.executed(key, completion, takeover));
        }

        @Override
        public void failed(IdempotencyKey key, Throwable failure) {
            guard(() -> delegate.failed(key, failure));
        }

        @Override
        public void replayed(IdempotencyKey key) {
            guard(() -> delegate.replayed(key));
        }

        @Override
        public void inFlightConflict(IdempotencyKey key) {
            guard(() -> delegate.inFlightConflict(key));
        }

        @Override
        public void fingerprintMismatch(IdempotencyKey key) {
            guard(() -> delegate.fingerprintMismatch(key));
        }

        @Override
        public void leaseTakeover(IdempotencyKey key) {
            guard(() -> delegate.leaseTakeover(key));
        }

        @Override
        public void ownershipLost(IdempotencyKey key) {
            guard(() -> delegate.ownershipLost(key));
        }

        @Override
        public void storeError(StoreOperation operation, IdempotencyKey key, RuntimeException error) {
            guard(() -> delegate.storeError(operation, key, error));
        }

        @Override
        public void storeLatency(StoreOperation operation, Duration elapsed) {
            guard(() -> delegate.storeLatency(operation, elapsed));
        }

        @Override
        public void completionRetried(IdempotencyKey key, StoreOperation operation, int attempt) {
            guard(() -> delegate.completionRetried(key, operation, attempt));
        }

        private static void guard(Runnable call) {
            try {
                call.run();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "An idempotency listener threw; the event is dropped", e);
            }
        }
    }

    /** Configures an {@link IdempotencyEngine}. */
    public static final class Builder {

        private final IdempotencyStore store;
        private Clock clock = Clock.systemUTC();
        private Duration defaultTtl = Duration.ofHours(24);
        private Duration lease = Duration.ofSeconds(30);
        private Duration heartbeatInterval;
        private Duration renewalTimeout;
        private IdempotencyListener listener = IdempotencyListener.NONE;
        private ScheduledExecutorService heartbeatScheduler;
        private Duration shutdownTimeout = Duration.ofSeconds(30);
        private int completionAttempts = 10;

        private Builder(IdempotencyStore store) {
            this.store = Objects.requireNonNull(store, "store");
        }

        /** The clock for in-flight waits and retry hints. Leases and expiry use the store's clock. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** How long results are replayed when a request names no TTL of its own; default 24 hours. */
        public Builder defaultTtl(Duration ttl) {
            this.defaultTtl = positive(ttl, "ttl");
            return this;
        }

        /**
         * How long a claim holds without a heartbeat; default 30 seconds. After a crash, retries get
         * {@link IdempotencyOutcome.InProgress} for at most this long before one of them takes over.
         */
        public Builder lease(Duration lease) {
            this.lease = positive(lease, "lease");
            return this;
        }

        /** How often running work renews its lease; default a third of the lease. */
        public Builder heartbeatInterval(Duration interval) {
            this.heartbeatInterval = positive(interval, "heartbeatInterval");
            return this;
        }

        /**
         * How long one lease renewal may take; default half the heartbeat interval. A renewal still running at its
         * deadline, typically waiting for a connection from a saturated pool, is interrupted (JDBC pools such as
         * HikariCP then give up waiting), counted as a failed renewal, and the next heartbeat sends a fresh one.
         * Must be shorter than the lease.
         */
        public Builder renewalTimeout(Duration timeout) {
            this.renewalTimeout = positive(timeout, "renewalTimeout");
            return this;
        }

        public Builder listener(IdempotencyListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * A scheduler for heartbeats, owned by the caller. By default the engine starts one daemon thread and stops
         * it on {@link IdempotencyEngine#close()}.
         */
        public Builder heartbeatScheduler(ScheduledExecutorService scheduler) {
            this.heartbeatScheduler = Objects.requireNonNull(scheduler, "scheduler");
            return this;
        }

        /**
         * How long {@link IdempotencyEngine#close()} waits for active claims to settle, counted from when the shutdown
         * began; default 30 seconds, as Spring's {@code timeout-per-shutdown-phase}. Zero closes at once.
         */
        public Builder shutdownTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "shutdownTimeout");
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("shutdownTimeout must not be negative, got " + timeout);
            }
            this.shutdownTimeout = timeout;
            return this;
        }

        /**
         * How many times settling a claim tries {@code complete} (or {@code release}) when the store fails, the first
         * try included; default 10, which with the backoff spans about 9 seconds. The lease bounds the retries too: no
         * attempt starts after the lease, as last renewed when settling began, would have run out. 1 disables retries.
         */
        public Builder completionAttempts(int attempts) {
            if (attempts < 1) {
                throw new IllegalArgumentException("completionAttempts must be at least 1, got " + attempts);
            }
            this.completionAttempts = attempts;
            return this;
        }

        public IdempotencyEngine build() {
            return new IdempotencyEngine(this);
        }

        private static Duration positive(Duration duration, String name) {
            Objects.requireNonNull(duration, name);
            if (duration.isNegative() || duration.isZero()) {
                throw new IllegalArgumentException(name + " must be positive, got " + duration);
            }
            return duration;
        }
    }
}
