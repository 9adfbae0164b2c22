package dev.idempotency.core.internal;

import dev.idempotency.core.store.RenewResult;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Renews one claim's lease at a fixed rate until stopped.
 *
 * <ul>
 *   <li>The scheduler only ticks; each renewal runs on the renewal executor, so one renewal stuck on a slow database
 *       connection cannot delay the heartbeats of every other running claim. A tick that finds this claim's previous
 *       renewal still running is skipped rather than queued.</li>
 *   <li>If no renewal has succeeded for a whole lease, the lease must be assumed expired, so the claim is reported as
 *       lost even though no store said so: another worker may already have taken it over.</li>
 *   <li>Results that arrive after {@link #stop()} are ignored: by then the run has completed or released the record,
 *       and a renewal that finds it completed is not a lost claim.</li>
 * </ul>
 */
public final class LeaseHeartbeat {

    private final Supplier<RenewResult> renew;
    private final Executor renewals;
    private final Runnable onOwnershipLost;
    private final Consumer<RuntimeException> onError;
    private final long leaseNanos;
    private final AtomicBoolean renewing = new AtomicBoolean();
    private final AtomicBoolean lost = new AtomicBoolean();
    private volatile long lastConfirmedNanos;
    private volatile boolean stopped;
    private volatile ScheduledFuture<?> ticks;

    private LeaseHeartbeat(Supplier<RenewResult> renew, Executor renewals, Duration lease, Runnable onOwnershipLost,
            Consumer<RuntimeException> onError) {
        this.renew = renew;
        this.renewals = renewals;
        this.leaseNanos = lease.toNanos();
        this.onOwnershipLost = onOwnershipLost;
        this.onError = onError;
        this.lastConfirmedNanos = System.nanoTime();
    }

    /**
     * Starts renewing a lease that was granted just now.
     *
     * @param scheduler ticks every {@code interval}
     * @param renewals runs the renewals; should have a thread free for each claim renewing at the same time
     * @param renew one fenced renewal
     * @param onOwnershipLost called at most once, when a renewal reports lost ownership or the lease ran out unrenewed
     * @param onError called with each failed renewal; the heartbeat keeps trying
     */
    public static LeaseHeartbeat start(ScheduledExecutorService scheduler, Executor renewals, Duration interval, Duration lease,
            Supplier<RenewResult> renew, Runnable onOwnershipLost, Consumer<RuntimeException> onError) {
        LeaseHeartbeat heartbeat = new LeaseHeartbeat(renew, renewals, lease, onOwnershipLost, onError);
        long millis = Math.max(1, interval.toMillis());
        heartbeat.ticks = scheduler.scheduleAtFixedRate(heartbeat::tick, millis, millis, TimeUnit.MILLISECONDS);
        return heartbeat;
    }

    /**
     * When the lease ends unless a renewal sent from now on succeeds, on the {@link System#nanoTime()} scale: the
     * last confirmed renewal (or the start) plus the lease. Settling a claim retries its store calls only until then.
     */
    public long leaseDeadlineNanos() {
        return lastConfirmedNanos + leaseNanos;
    }

    public void stop() {
        stopped = true;
        ScheduledFuture<?> scheduled = ticks;
        if (scheduled != null) {
            scheduled.cancel(false);
        }
    }

    private void tick() {
        if (stopped) {
            return;
        }
        if (System.nanoTime() - lastConfirmedNanos > leaseNanos) {
            ownershipLost();
            return;
        }
        if (!renewing.compareAndSet(false, true)) {
            return;
        }
        try {
            renewals.execute(this::renewOnce);
        } catch (RejectedExecutionException e) {
            renewing.set(false);
            onError.accept(e);
        }
    }

    private void renewOnce() {
        long startedNanos = System.nanoTime();
        try {
            if (stopped) {
                return;
            }
            RenewResult result = renew.get();
            if (result instanceof RenewResult.Renewed) {
                // The new lease counts from when the renewal was sent, not from when its answer arrived.
                lastConfirmedNanos = startedNanos;
            } else {
                ownershipLost();
            }
        } catch (RuntimeException e) {
            // A failed renewal is not a lost claim: the lease may still be live, so keep trying until it runs out.
            if (!stopped) {
                onError.accept(e);
            }
        } finally {
            renewing.set(false);
        }
    }

    private void ownershipLost() {
        if (!stopped && lost.compareAndSet(false, true)) {
            stop();
            onOwnershipLost.run();
        }
    }
}
