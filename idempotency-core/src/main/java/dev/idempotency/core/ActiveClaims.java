package dev.idempotency.core;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * An engine's lifecycle bookkeeping: the claims acquired and not yet settled, the calls of
 * {@link IdempotencyEngine#begin} under way (which may still acquire one), the callers still handing a result on
 * ({@link IdempotencyEngine#handOff()}), and whether the engine is shutting down or
 * closed. Lets the engine stop without handing a running claim's key to another instance, and a shutdown be undone
 * ({@link #resume()}) as long as the engine is not being closed.
 */
final class ActiveClaims {

    private static final System.Logger LOG = System.getLogger(IdempotencyEngine.class.getName());

    /** Guards the state below; notified whenever a claim settles or a {@code begin} ends. */
    private final Object lock = new Object();
    private final Set<ActiveClaim<?>> claims = new HashSet<>();
    private int beginsUnderWay;
    /** Callers still handing a settled claim's result on ({@link IdempotencyEngine#handOff()}). */
    private int handOffs;
    /** {@link System#nanoTime()} when {@link #shutdown()} was first called. */
    private long shutdownStartedNanos;
    /** Set when {@link #close} begins: from then on the shutdown is final, even while close still waits. */
    private boolean closing;
    private boolean closed;
    /** Written under {@link #lock}, read without it by waits that end early on a shutdown. */
    private volatile boolean shuttingDown;

    /**
     * Counts a {@code begin} as under way until {@link #beginEnded()}.
     *
     * @throws IdempotencyEngineClosedException when the engine is shutting down
     */
    void beginStarted() {
        synchronized (lock) {
            if (shuttingDown) {
                throw new IdempotencyEngineClosedException("The idempotency engine is shutting down and takes no new claims");
            }
            beginsUnderWay++;
        }
    }

    void beginEnded() {
        synchronized (lock) {
            beginsUnderWay--;
            lock.notifyAll();
        }
    }

    /** Counts a hand-off until {@link #handOffEnded()}; taken whether or not the engine is shutting down. */
    void handOffStarted() {
        synchronized (lock) {
            handOffs++;
        }
    }

    void handOffEnded() {
        synchronized (lock) {
            handOffs--;
            lock.notifyAll();
        }
    }

    void add(ActiveClaim<?> claim) {
        synchronized (lock) {
            claims.add(claim);
        }
    }

    /** Called by a claim once it has settled (its complete or release is over), whatever the outcome. */
    void settled(ActiveClaim<?> claim) {
        synchronized (lock) {
            if (claims.remove(claim)) {
                lock.notifyAll();
            }
        }
    }

    void shutdown() {
        synchronized (lock) {
            if (!shuttingDown) {
                shuttingDown = true;
                shutdownStartedNanos = System.nanoTime();
            }
        }
    }

    /**
     * Takes new claims again after {@link #shutdown()}; the claims still active are unaffected (their heartbeats never
     * stopped). A later shutdown starts its timeout afresh.
     *
     * @throws IllegalStateException once {@link #close} began
     */
    void resume() {
        synchronized (lock) {
            if (closing) {
                throw new IllegalStateException("The idempotency engine is closed" + (closed ? "" : " (closing)")
                        + " and cannot be resumed: its lease-renewal threads are stopped");
            }
            shuttingDown = false;
        }
    }

    boolean isShutdown() {
        return shuttingDown;
    }

    boolean isClosed() {
        synchronized (lock) {
            return closed;
        }
    }

    int count() {
        synchronized (lock) {
            return claims.size();
        }
    }

    /** See {@link IdempotencyEngine#awaitSettled}. */
    boolean awaitSettled(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + Math.max(0, timeout.toNanos());
        synchronized (lock) {
            while (!claims.isEmpty() || beginsUnderWay > 0 || handOffs > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(lock, left);
            }
            return true;
        }
    }

    /**
     * Steps 1 to 3 of {@link IdempotencyEngine#close()}: shuts down, waits for the active claims to settle until
     * {@code shutdownTimeout} after the shutdown began (an interrupt ends the wait, the flag kept), marks the engine
     * closed, and stops the heartbeats of the claims still active, logging them.
     *
     * @return {@code false} when the engine was closed already
     */
    boolean close(Duration shutdownTimeout) {
        long waitNanos;
        synchronized (lock) {
            // Shutting down and marking the close in one step, so a resume cannot reopen an engine being closed.
            closing = true;
            shutdown();
            if (closed) {
                return false;
            }
            waitNanos = shutdownTimeout.toNanos() - (System.nanoTime() - shutdownStartedNanos);
        }
        try {
            awaitSettled(Duration.ofNanos(Math.max(0, waitNanos)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<ActiveClaim<?>> stillActive;
        synchronized (lock) {
            if (closed) {
                return false;
            }
            closed = true;
            stillActive = List.copyOf(claims);
        }
        if (!stillActive.isEmpty()) {
            LOG.log(Level.WARNING, stillActive.size() + " idempotency claim(s) still running when the engine closed; their "
                    + "leases are no longer renewed, and another instance may take their keys over once the leases run "
                    + "out: " + stillActive);
        }
        stillActive.forEach(ActiveClaim::stopHeartbeat);
        return true;
    }
}
