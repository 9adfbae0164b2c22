package dev.idempotency.core;

import dev.idempotency.core.IdempotencyOutcome.Completion;
import dev.idempotency.core.internal.ClaimSettlement;
import dev.idempotency.core.internal.Heartbeats;
import dev.idempotency.core.internal.InstrumentedStore;
import dev.idempotency.core.store.ClaimRequest;
import dev.idempotency.core.store.ClaimResult;
import dev.idempotency.core.store.IdempotencyRecord;
import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.core.store.IdempotencyStoreException;
import dev.idempotency.core.store.OwnerToken;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

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
 * <p>Where each step lives: steps 1 to 3 in {@link #begin} here, the wait of step 3 in {@code InFlightWait}; step 4
 * in {@code ActiveClaim.start} and {@code LeaseHeartbeat}; steps 5 and 6 in {@link ActiveClaim}, whose fenced store
 * calls and their retries (step 7) are in {@code ClaimSettlement}. Every store call is timed and reported to the
 * listener in one place, {@code InstrumentedStore}, and the listener is guarded ({@link CompositeIdempotencyListener}).
 *
 * <p>Instances are thread-safe and meant to be shared. The engine tracks its active claims (acquired, not yet
 * settled) so it can stop without handing a running claim's key to another instance: {@link #shutdown()} refuses new
 * claims, {@link #awaitSettled} waits for the active ones, and {@link #close()} does both and then stops the
 * heartbeats; see there. A shutdown can be undone with {@link #resume()} (an application paused and started again);
 * a close cannot.
 */
public final class IdempotencyEngine implements AutoCloseable {

    /** The user's store, timed and reported to the listener on every call. */
    private final IdempotencyStore store;
    private final Clock clock;
    private final Duration defaultTtl;
    private final Duration lease;
    private final IdempotencyListener listener;
    private final Heartbeats heartbeats;
    private final Duration shutdownTimeout;
    private final ClaimSettlement settlement;
    private final ActiveClaims activeClaims = new ActiveClaims();

    private IdempotencyEngine(Builder builder) {
        this.clock = builder.clock;
        this.defaultTtl = builder.defaultTtl;
        this.lease = builder.lease;
        this.heartbeats = new Heartbeats(builder.heartbeatScheduler, builder.heartbeatInterval, lease, builder.renewalTimeout,
                builder.ticker);
        if (defaultTtl.compareTo(lease) < 0) {
            throw new IllegalArgumentException("ttl (" + defaultTtl + ") must be at least the lease (" + lease + ")");
        }
        this.listener = CompositeIdempotencyListener.guarding(builder.listener);
        this.store = new InstrumentedStore(builder.store, listener);
        this.settlement = new ClaimSettlement(store, listener, lease, builder.completionAttempts, builder.ticker);
        this.shutdownTimeout = builder.shutdownTimeout;
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
        if (claim instanceof ActiveClaim<T> active) {
            return active.run(work);
        }
        // Every other claim is the outcome the caller answers with (see the permits of IdempotencyClaim).
        return (IdempotencyOutcome<T>) claim;
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
        activeClaims.beginStarted();
        try {
            return claimOrWait(request, codec, policy);
        } finally {
            activeClaims.beginEnded();
        }
    }

    private <T> IdempotencyClaim<T> claimOrWait(IdempotentRequest request, ResultCodec<T> codec, OutcomePolicy<T> policy) {
        // A record must outlive its lease, or a running claim could expire under its owner; a shorter per-request
        // TTL is raised to the lease rather than failing every request that names it.
        Duration ttl = request.ttl() != null ? max(request.ttl(), lease) : defaultTtl;
        InFlightWait wait = new InFlightWait(clock, request.inFlightWait(), lease);
        while (true) {
            ClaimResult claim;
            try {
                claim = claim(request, ttl);
            } catch (IdempotencyStoreException e) {
                if (!wait.keyHeldByAnother()) {
                    throw e;
                }
                // The key is known to be held by another request; a store failure while waiting for it must not be
                // mistaken for "nothing is known", which a fail-open caller would answer by running the work.
                listener.inFlightConflict(request.key());
                return wait.inProgress();
            }
            IdempotencyRecord record = claim.record();
            if (claim instanceof ClaimResult.Acquired acquired) {
                return ActiveClaim.start(settlement, activeClaims, heartbeats, request.key(), acquired, ttl, codec, policy);
            }
            if (!record.fingerprint().equals(request.fingerprint())) {
                listener.fingerprintMismatch(request.key());
                return new IdempotencyOutcome.FingerprintMismatch<>(record);
            }
            if (claim instanceof ClaimResult.AlreadyCompleted) {
                listener.replayed(request.key());
                return new IdempotencyOutcome.Replayed<>(codec.decode(record.response()), record);
            }
            if (!wait.pauseBeforeReclaim(record, activeClaims.isShutdown())) {
                listener.inFlightConflict(request.key());
                return wait.inProgress();
            }
        }
    }

    /** Purges one batch of expired records; see {@link IdempotencyStore#purgeExpired}. */
    public int purgeExpired(int batchSize) {
        return store.purgeExpired(batchSize).deleted();
    }

    public Duration lease() {
        return lease;
    }

    public Duration defaultTtl() {
        return defaultTtl;
    }

    /** How long one lease renewal may take before it is interrupted and the next heartbeat tries again. */
    public Duration renewalTimeout() {
        return heartbeats.renewalTimeout();
    }

    /**
     * Starts a graceful shutdown: from now on {@link #begin} and {@link #execute} throw
     * {@link IdempotencyEngineClosedException} and claim nothing. Active claims are not affected: their heartbeats keep
     * renewing their leases until they settle or {@link #close()} stops them. A {@code begin} already waiting for
     * another worker's key answers {@link IdempotencyOutcome.InProgress} at its next poll. Calling it again does
     * nothing. {@link #resume()} undoes it, {@link #close()} makes it final.
     */
    public void shutdown() {
        activeClaims.shutdown();
    }

    /**
     * Undoes a {@link #shutdown()}: {@link #begin} and {@link #execute} claim keys again. Meant for an application that
     * is stopped and started again without being closed (Spring's {@code Lifecycle} stop and start, a test context
     * paused between test classes, a checkpoint and restore). Claims still active are unaffected: their heartbeats kept
     * renewing their leases all along. Calling it on an engine that is not shut down does nothing; a later
     * {@code shutdown()} counts the {@linkplain Builder#shutdownTimeout shutdown timeout} afresh.
     *
     * @throws IllegalStateException once {@link #close()} was called, even while it still waits for active claims:
     *     a closed engine has stopped renewing leases and cannot take claims again
     */
    public void resume() {
        activeClaims.resume();
    }

    /** {@code true} once {@link #shutdown()} or {@link #close()} was called, and {@link #resume()} not since. */
    public boolean isShutdown() {
        return activeClaims.isShutdown();
    }

    /** {@code true} once {@link #close()} has finished; such an engine cannot be {@linkplain #resume() resumed}. */
    public boolean isClosed() {
        return activeClaims.isClosed();
    }

    /** How many claims are acquired and not yet settled. */
    public int activeClaimCount() {
        return activeClaims.count();
    }

    /**
     * Keeps {@link #awaitSettled} waiting until the returned hand-off is closed: for a caller that settles its claim
     * before it has handed the result on, as the HTTP filter stores a response before the client gets it. Without
     * it, a graceful stop that waits for the claims may let the server close the connection between the two. Taken
     * during a shutdown too (it is for work already claimed); closing it again does nothing.
     */
    public HandOff handOff() {
        activeClaims.handOffStarted();
        return new HandOff(activeClaims);
    }

    /** See {@link #handOff()}. */
    public static final class HandOff implements AutoCloseable {

        private final ActiveClaims activeClaims;
        private final AtomicBoolean closed = new AtomicBoolean();

        private HandOff(ActiveClaims activeClaims) {
            this.activeClaims = activeClaims;
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                activeClaims.handOffEnded();
            }
        }
    }

    /**
     * Waits until every active claim has settled, no {@link #begin} is under way and every {@link #handOff()} is
     * closed, or until {@code timeout} passed. Meant to follow {@link #shutdown()}; without it, new claims may keep the
     * engine busy.
     *
     * @return {@code true} if nothing was active any more, {@code false} if the timeout passed first
     * @throws InterruptedException if the waiting thread was interrupted
     */
    public boolean awaitSettled(Duration timeout) throws InterruptedException {
        return activeClaims.awaitSettled(timeout);
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
     * flag kept. Calling it again does nothing. Once it is called the engine cannot be {@linkplain #resume() resumed}.
     */
    @Override
    public void close() {
        if (activeClaims.close(shutdownTimeout)) {
            heartbeats.stop();
        }
    }

    private ClaimResult claim(IdempotentRequest request, Duration ttl) {
        ClaimRequest claimRequest = new ClaimRequest(request.key(), request.fingerprint(), OwnerToken.random(), lease, ttl);
        ClaimResult result = store.claim(claimRequest);
        if (result instanceof ClaimResult.Acquired acquired && acquired.takeover()) {
            listener.leaseTakeover(request.key());
        }
        return result;
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
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
        private LongSupplier ticker = System::nanoTime;

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

        /** The time scale of leases as the heartbeat and settling see them; tests move it by hand. */
        Builder ticker(LongSupplier ticker) {
            this.ticker = Objects.requireNonNull(ticker, "ticker");
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
