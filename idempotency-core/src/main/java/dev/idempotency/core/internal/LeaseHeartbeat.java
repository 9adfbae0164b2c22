package dev.idempotency.core.internal;

import dev.idempotency.core.store.IdempotencyStoreException;
import dev.idempotency.core.store.RenewResult;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Renews one claim's lease at a fixed rate until stopped.
 *
 * <ul>
 *   <li>The scheduler only ticks; each renewal runs on the renewal executor, so one renewal stuck on a slow database
 *       connection cannot delay the heartbeats of every other running claim. A tick that finds this claim's previous
 *       renewal still running within its deadline is skipped rather than queued.</li>
 *   <li>Each renewal has a deadline, the renewal timeout. A renewal that has not answered by then is cancelled: its
 *       thread is interrupted (a JDBC pool such as HikariCP then stops waiting for a connection and throws), it is
 *       reported as a failed renewal, and the next tick sends a fresh one. Without the deadline a renewal queued
 *       behind a saturated connection pool could wait as long as the pool's own connection timeout, which is often
 *       the whole lease. The deadline is enforced by a one-shot task on the scheduler, and checked again at each
 *       tick in case that task could not be scheduled.</li>
 *   <li>If no renewal has succeeded for a whole lease, the lease must be assumed expired, so the claim is reported as
 *       lost even though no store said so: another worker may already have taken it over.</li>
 *   <li>A cancelled renewal that answers anyway still counts: a renewed lease extends the claim from when that renewal
 *       was sent, and a lost claim is lost.</li>
 *   <li>Results that arrive after {@link #stop()} are ignored: by then the run has completed or released the record,
 *       and a renewal that finds it completed is not a lost claim.</li>
 * </ul>
 */
public final class LeaseHeartbeat {

    private final ScheduledExecutorService scheduler;
    private final Supplier<RenewResult> renew;
    private final Executor renewals;
    private final Runnable onOwnershipLost;
    private final Consumer<RuntimeException> onError;
    private final long leaseNanos;
    private final long renewalTimeoutNanos;
    private final LongSupplier ticker;
    private final AtomicBoolean lost = new AtomicBoolean();
    private final AtomicLong lastConfirmedNanos;
    private volatile Renewal current;
    private volatile boolean stopped;
    private volatile ScheduledFuture<?> ticks;

    private LeaseHeartbeat(ScheduledExecutorService scheduler, Supplier<RenewResult> renew, Executor renewals, Duration lease,
            Duration renewalTimeout, Runnable onOwnershipLost, Consumer<RuntimeException> onError, LongSupplier ticker) {
        this.scheduler = scheduler;
        this.renew = renew;
        this.renewals = renewals;
        this.leaseNanos = lease.toNanos();
        this.renewalTimeoutNanos = renewalTimeout.toNanos();
        this.onOwnershipLost = onOwnershipLost;
        this.onError = onError;
        this.ticker = ticker;
        this.lastConfirmedNanos = new AtomicLong(ticker.getAsLong());
    }

    /**
     * Starts renewing a lease that was granted just now.
     *
     * @param scheduler ticks every {@code interval}, and cancels renewals that outlive {@code renewalTimeout}
     * @param renewals runs the renewals; should have a thread free for each claim renewing at the same time
     * @param renewalTimeout how long one renewal may take before it is interrupted and counted as failed; shorter
     *     than the lease
     * @param renew one fenced renewal
     * @param onOwnershipLost called at most once, when a renewal reports lost ownership or the lease ran out unrenewed
     * @param onError called with each failed or timed-out renewal; the heartbeat keeps trying
     */
    public static LeaseHeartbeat start(ScheduledExecutorService scheduler, Executor renewals, Duration interval, Duration lease,
            Duration renewalTimeout, Supplier<RenewResult> renew, Runnable onOwnershipLost, Consumer<RuntimeException> onError) {
        return start(scheduler, renewals, interval, lease, renewalTimeout, renew, onOwnershipLost, onError, System::nanoTime);
    }

    /** As the public {@code start}, reading time from {@code ticker} (tests move it by hand). */
    public static LeaseHeartbeat start(ScheduledExecutorService scheduler, Executor renewals, Duration interval, Duration lease,
            Duration renewalTimeout, Supplier<RenewResult> renew, Runnable onOwnershipLost, Consumer<RuntimeException> onError,
            LongSupplier ticker) {
        LeaseHeartbeat heartbeat = new LeaseHeartbeat(scheduler, renew, renewals, lease, renewalTimeout, onOwnershipLost, onError,
                ticker);
        long millis = Math.max(1, interval.toMillis());
        heartbeat.ticks = scheduler.scheduleAtFixedRate(heartbeat::tick, millis, millis, TimeUnit.MILLISECONDS);
        return heartbeat;
    }

    /**
     * When the lease ends unless a renewal sent from now on succeeds, on the {@link System#nanoTime()} scale: the
     * last confirmed renewal (or the start) plus the lease. Settling a claim retries its store calls only until then.
     */
    public long leaseDeadlineNanos() {
        return lastConfirmedNanos.get() + leaseNanos;
    }

    public void stop() {
        stopped = true;
        ScheduledFuture<?> scheduled = ticks;
        if (scheduled != null) {
            scheduled.cancel(false);
        }
    }

    /** One heartbeat; the scheduler calls it every interval (package-private so tests can drive it). */
    void tick() {
        if (stopped) {
            return;
        }
        long now = ticker.getAsLong();
        if (now - lastConfirmedNanos.get() > leaseNanos) {
            ownershipLost();
            return;
        }
        Renewal previous = current;
        if (previous != null && !previous.task.isDone()) {
            if (now - previous.startedNanos < renewalTimeoutNanos) {
                return;
            }
            timeOut(previous);
        }
        Renewal renewal = new Renewal(now);
        current = renewal;
        try {
            renewals.execute(renewal.task);
        } catch (RejectedExecutionException e) {
            renewal.task.cancel(false);
            onError.accept(e);
            return;
        }
        try {
            scheduler.schedule(() -> timeOut(renewal), renewalTimeoutNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // The scheduler is shutting down; the next tick checks the deadline instead.
        }
    }

    private void timeOut(Renewal renewal) {
        // cancel(true) interrupts the renewal's thread only while it still runs this renewal, never a later task.
        if (renewal.task.cancel(true) && !stopped) {
            onError.accept(new IdempotencyStoreException("The lease renewal did not answer within "
                    + Duration.ofNanos(renewalTimeoutNanos) + "; it was interrupted and the next heartbeat tries again"));
        }
    }

    private void renewOnce(Renewal renewal) {
        try {
            if (stopped) {
                return;
            }
            RenewResult result = renew.get();
            if (result instanceof RenewResult.Renewed) {
                // The new lease counts from when the renewal was sent, not from when its answer arrived; a late
                // answer from a cancelled renewal must not move it backwards.
                lastConfirmedNanos.accumulateAndGet(renewal.startedNanos,
                        (confirmed, sent) -> sent - confirmed > 0 ? sent : confirmed);
            } else {
                ownershipLost();
            }
        } catch (RuntimeException e) {
            // A failed renewal is not a lost claim: the lease may still be live, so keep trying until it runs out.
            // A renewal cancelled at its deadline was already reported.
            if (!stopped && !renewal.task.isCancelled()) {
                onError.accept(e);
            }
        }
    }

    private void ownershipLost() {
        if (!stopped && lost.compareAndSet(false, true)) {
            stop();
            onOwnershipLost.run();
        }
    }

    /** One renewal in flight, with when it was sent. */
    private final class Renewal {
        final long startedNanos;
        final FutureTask<Void> task;

        Renewal(long startedNanos) {
            this.startedNanos = startedNanos;
            this.task = new FutureTask<>(() -> renewOnce(this), null);
        }
    }
}
