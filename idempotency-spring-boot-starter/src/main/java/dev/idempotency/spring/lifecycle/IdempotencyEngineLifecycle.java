package dev.idempotency.spring.lifecycle;

import dev.idempotency.core.IdempotencyEngine;
import java.time.Duration;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Stops the {@link IdempotencyEngine} with the application context, without handing a running request's key to
 * another instance: on stop it refuses new claims (the filter answers 503 {@code store-unavailable}), waits up to the
 * shutdown timeout for the claims still active to settle, their leases renewed meanwhile, and then closes the engine.
 *
 * <p>Its phase, {@link #PHASE}, makes it stop after the web server's graceful shutdown (phase
 * {@code DEFAULT_PHASE - 1024}) has drained the requests it could, and before the web server itself stops (phase
 * {@code DEFAULT_PHASE - 2048}), so that requests still running can still send their responses.
 */
public class IdempotencyEngineLifecycle implements SmartLifecycle {

    /** Between Boot's graceful shutdown ({@code DEFAULT_PHASE - 1024}) and the web server's stop ({@code - 2048}). */
    public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 1536;

    private static final Log log = LogFactory.getLog(IdempotencyEngineLifecycle.class);

    private final IdempotencyEngine engine;
    private final Duration timeout;
    private volatile boolean running;

    /**
     * @param timeout how long {@link #stop()} waits for active claims, usually
     *     {@code spring.lifecycle.timeout-per-shutdown-phase}
     */
    public IdempotencyEngineLifecycle(IdempotencyEngine engine, Duration timeout) {
        this.engine = engine;
        this.timeout = timeout;
    }

    @Override
    public void start() {
        running = true;
    }

    @Override
    public void stop() {
        engine.shutdown();
        int active = engine.activeClaimCount();
        if (active > 0) {
            log.info("Waiting up to " + timeout + " for " + active + " idempotent request(s) still running; "
                    + "new ones are refused");
        }
        try {
            if (!engine.awaitSettled(timeout)) {
                log.warn(engine.activeClaimCount() + " idempotent request(s) still running after " + timeout
                        + "; their leases are no longer renewed");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        engine.close();
        running = false;
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
