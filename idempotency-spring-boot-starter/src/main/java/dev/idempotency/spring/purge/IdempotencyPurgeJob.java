package dev.idempotency.spring.purge;

import dev.idempotency.core.IdempotencyEngine;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Deletes expired idempotency records in the background, on a daemon thread of its own (no
 * {@code @EnableScheduling} needed).
 *
 * <p>Each run deletes batches of {@code batchSize} until a batch comes back short, so a backlog is cleared in one
 * run without holding long locks. A failing run is logged and the next one tries again; it never stops the
 * application.
 */
public class IdempotencyPurgeJob implements SmartLifecycle {

    private static final Log log = LogFactory.getLog(IdempotencyPurgeJob.class);

    /** Stops one run from looping forever if a store keeps reporting full batches. */
    private static final int MAX_BATCHES_PER_RUN = 10_000;

    private final IdempotencyEngine engine;
    private final Duration initialDelay;
    private final Duration interval;
    private final int batchSize;
    private ScheduledExecutorService scheduler;

    public IdempotencyPurgeJob(IdempotencyEngine engine, Duration initialDelay, Duration interval, int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be positive, got " + batchSize);
        }
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("interval must be positive, got " + interval);
        }
        this.engine = engine;
        this.initialDelay = initialDelay.isNegative() ? Duration.ZERO : initialDelay;
        this.interval = interval;
        this.batchSize = batchSize;
    }

    /**
     * Runs one purge now: batches until one comes back short.
     *
     * @return how many records were deleted; a failure is logged and ends the run with what was deleted so far
     */
    public int purgeNow() {
        int total = 0;
        try {
            for (int batch = 0; batch < MAX_BATCHES_PER_RUN; batch++) {
                int deleted = engine.purgeExpired(batchSize);
                total += deleted;
                if (deleted < batchSize || Thread.currentThread().isInterrupted()) {
                    break;
                }
            }
            if (total > 0) {
                log.debug("Purged " + total + " expired idempotency records");
            }
        } catch (RuntimeException e) {
            log.warn("Purging expired idempotency records failed after deleting " + total + "; retrying in " + interval, e);
        }
        return total;
    }

    @Override
    public synchronized void start() {
        if (scheduler != null) {
            return;
        }
        scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "idempotency-purge");
            thread.setDaemon(true);
            return thread;
        });
        scheduler.scheduleWithFixedDelay(this::purgeNow, initialDelay.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public synchronized void stop() {
        if (scheduler != null) {
            scheduler.shutdownNow();
            scheduler = null;
        }
    }

    @Override
    public synchronized boolean isRunning() {
        return scheduler != null;
    }
}
