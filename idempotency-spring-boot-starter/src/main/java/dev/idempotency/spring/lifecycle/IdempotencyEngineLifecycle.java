package dev.idempotency.spring.lifecycle;

import dev.idempotency.core.IdempotencyEngine;
import java.time.Duration;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Stops the {@link IdempotencyEngine} with the application context, without handing a running request's key to
 * another instance, and starts it again when the context is started again.
 *
 * <p>On {@link #stop()} it refuses new claims (the filter answers 503 {@code store-unavailable}) and waits up to the
 * shutdown timeout for the claims still active to settle, their leases renewed meanwhile. Then:
 * <ul>
 *   <li>if every claim settled, the engine stays open, merely refusing claims: a context stopped and started again
 *       without being closed (a test context paused between test classes, {@code ConfigurableApplicationContext.stop()}
 *       and {@code start()}, a checkpoint and restore) takes claims again on {@link #start()}, which
 *       {@linkplain IdempotencyEngine#resume() resumes} it. The engine bean's destroy method closes it, once, when the
 *       context closes;</li>
 *   <li>if claims are still active after the timeout, it closes the engine, which stops renewing their leases (they
 *       may still settle, fenced by their owner tokens). Such an engine cannot take claims again, so a later
 *       {@link #start()} fails with an {@link IllegalStateException} that says why, rather than leaving an application
 *       that answers every idempotent request with 503; close and refresh the context instead.</li>
 * </ul>
 *
 * <p>Its phase, {@link #PHASE}, makes it stop after the web server's graceful shutdown (phase
 * {@code DEFAULT_PHASE - 1024}) has drained the requests it could, and before the web server itself stops (phase
 * {@code DEFAULT_PHASE - 2048}), so that requests still running can still send their responses; on start it starts
 * before the web server takes requests.
 */
public class IdempotencyEngineLifecycle implements SmartLifecycle {

    /** Between Boot's graceful shutdown ({@code DEFAULT_PHASE - 1024}) and the web server's stop ({@code - 2048}). */
    public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 1536;

    private static final Log log = LogFactory.getLog(IdempotencyEngineLifecycle.class);

    private final IdempotencyEngine engine;
    private final Duration timeout;
    private volatile boolean running;
    /** Why the last {@link #stop()} closed the engine, or {@code null} if it left the engine resumable. */
    private volatile String closedOnStop;

    /**
     * @param timeout how long {@link #stop()} waits for active claims, usually
     *     {@code spring.lifecycle.timeout-per-shutdown-phase}
     */
    public IdempotencyEngineLifecycle(IdempotencyEngine engine, Duration timeout) {
        this.engine = engine;
        this.timeout = timeout;
    }

    /**
     * Resumes the engine if a {@link #stop()} shut it down.
     *
     * @throws IllegalStateException if the engine was closed, by a stop whose claims outlived the timeout or otherwise
     */
    @Override
    public void start() {
        if (engine.isShutdown()) {
            try {
                engine.resume();
            } catch (IllegalStateException e) {
                String reason = closedOnStop != null ? closedOnStop : "it was closed";
                throw new IllegalStateException("The idempotency engine cannot resume: " + reason + ". Close the "
                        + "application context and create a new one instead of starting it again", e);
            }
        }
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
        boolean settled = false;
        String waited = "after " + timeout;
        try {
            settled = engine.awaitSettled(timeout);
        } catch (InterruptedException e) {
            waited = "when the wait for them was interrupted";
            Thread.currentThread().interrupt();
        }
        if (!settled) {
            int stillActive = engine.activeClaimCount();
            log.warn(stillActive + " idempotent request(s) still running " + waited
                    + "; their leases are no longer renewed");
            closedOnStop = "it was closed when the context stopped, because " + stillActive
                    + " idempotent request(s) were still running " + waited + " and their leases are no longer renewed";
            engine.close();
        }
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
