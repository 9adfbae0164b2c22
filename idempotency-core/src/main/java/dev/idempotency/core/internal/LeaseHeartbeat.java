package dev.idempotency.core.internal;

import dev.idempotency.core.store.RenewResult;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Renews one claim's lease at a fixed delay until stopped. Renewal results that arrive after {@link #stop()} are
 * ignored: by then the run has completed or released the record, and a renewal that finds it completed is not a
 * lost claim.
 */
public final class LeaseHeartbeat {

    private final Supplier<RenewResult> renew;
    private final Runnable onOwnershipLost;
    private final Consumer<RuntimeException> onError;
    private volatile boolean stopped;
    private volatile ScheduledFuture<?> future;

    private LeaseHeartbeat(Supplier<RenewResult> renew, Runnable onOwnershipLost, Consumer<RuntimeException> onError) {
        this.renew = renew;
        this.onOwnershipLost = onOwnershipLost;
        this.onError = onError;
    }

    public static LeaseHeartbeat start(
            ScheduledExecutorService scheduler, Duration interval, Supplier<RenewResult> renew,
            Runnable onOwnershipLost, Consumer<RuntimeException> onError) {
        LeaseHeartbeat heartbeat = new LeaseHeartbeat(renew, onOwnershipLost, onError);
        long millis = Math.max(1, interval.toMillis());
        heartbeat.future = scheduler.scheduleWithFixedDelay(heartbeat::beat, millis, millis, TimeUnit.MILLISECONDS);
        return heartbeat;
    }

    public void stop() {
        stopped = true;
        ScheduledFuture<?> scheduled = future;
        if (scheduled != null) {
            scheduled.cancel(false);
        }
    }

    private void beat() {
        if (stopped) {
            return;
        }
        try {
            RenewResult result = renew.get();
            if (result instanceof RenewResult.OwnershipLost && !stopped) {
                stopped = true;
                future.cancel(false);
                onOwnershipLost.run();
            }
        } catch (RuntimeException e) {
            // A failed heartbeat is not a lost claim: the lease may still be live, so keep trying.
            if (!stopped) {
                onError.accept(e);
            }
        }
    }
}
