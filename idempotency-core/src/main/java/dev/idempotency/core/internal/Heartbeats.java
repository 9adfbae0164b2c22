package dev.idempotency.core.internal;

import dev.idempotency.core.store.RenewResult;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The threads behind an engine's {@link LeaseHeartbeat}s and their timing: one scheduler that ticks (the engine's
 * own unless the caller gave one), and a pool of renewal threads, so that a renewal stuck on a slow connection delays
 * no other claim's heartbeat.
 */
public final class Heartbeats {

    private final ScheduledExecutorService scheduler;
    private final boolean ownsScheduler;
    private final ExecutorService renewals = Executors.newCachedThreadPool(daemonThreads("idempotency-lease-renewal"));
    private final Duration interval;
    private final Duration lease;
    private final Duration renewalTimeout;
    private final LongSupplier ticker;

    /**
     * @param scheduler the caller's scheduler, which {@link #stop()} leaves running; {@code null} for one of our own
     * @param interval how often a lease is renewed; {@code null} for a third of the lease
     * @param renewalTimeout how long one renewal may take; {@code null} for half the interval
     * @param ticker the time scale of lease deadlines, {@link System#nanoTime()} but in tests
     * @throws IllegalArgumentException when the interval or the renewal timeout is not shorter than the lease
     */
    public Heartbeats(@Nullable ScheduledExecutorService scheduler, @Nullable Duration interval, Duration lease,
            @Nullable Duration renewalTimeout,
            LongSupplier ticker) {
        this.interval = interval != null ? interval : lease.dividedBy(3);
        if (this.interval.compareTo(lease) >= 0) {
            throw new IllegalArgumentException("heartbeatInterval (" + this.interval + ") must be shorter than the lease (" + lease + ")");
        }
        this.renewalTimeout = renewalTimeout != null ? renewalTimeout : defaultRenewalTimeout(this.interval);
        if (this.renewalTimeout.compareTo(lease) >= 0) {
            throw new IllegalArgumentException("renewalTimeout (" + this.renewalTimeout + ") must be shorter than the lease (" + lease + ")");
        }
        this.lease = lease;
        this.ticker = ticker;
        this.ownsScheduler = scheduler == null;
        this.scheduler = ownsScheduler ? defaultScheduler() : scheduler;
    }

    public Duration renewalTimeout() {
        return renewalTimeout;
    }

    /**
     * Starts renewing a lease granted just now; see {@link LeaseHeartbeat#start}.
     *
     * @throws java.util.concurrent.RejectedExecutionException when {@link #stop()} was called
     */
    public LeaseHeartbeat start(Supplier<RenewResult> renew, Runnable onOwnershipLost, Consumer<RuntimeException> onError) {
        return LeaseHeartbeat.start(scheduler, renewals, interval, lease, renewalTimeout, renew, onOwnershipLost, onError, ticker);
    }

    /** Stops the renewal threads, and the scheduler if it is ours. */
    public void stop() {
        if (ownsScheduler) {
            scheduler.shutdownNow();
        }
        renewals.shutdown();
    }

    /**
     * Half the heartbeat interval: a renewal that has not answered by then is cancelled well before the next tick,
     * which then sends a fresh one, and a claim gets several tries within its lease.
     */
    private static Duration defaultRenewalTimeout(Duration heartbeatInterval) {
        Duration half = heartbeatInterval.dividedBy(2);
        return half.isZero() ? heartbeatInterval : half;
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
}
