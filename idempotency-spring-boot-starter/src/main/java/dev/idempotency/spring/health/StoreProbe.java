package dev.idempotency.spring.health;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.store.IdempotencyStore;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Asks the store for one record that never exists ({@link IdempotencyStore#find}: one indexed read, no write, no lock)
 * and waits for the answer up to a timeout. The read runs on a thread of its own, so a store that hangs (a full
 * connection pool, a database that does not answer) makes the probe answer "no answer" in time instead of blocking
 * the health endpoint. While a read is still pending, later probes wait for that same read instead of starting
 * another, so a hanging store never piles up probe threads.
 */
public final class StoreProbe {

    /** The key probed; no request can use it, because the filter's scopes never equal it. */
    static final IdempotencyKey PROBE_KEY = IdempotencyKey.of("idempotency-health-probe", "probe");

    private final IdempotencyStore store;
    private final Duration timeout;
    private final Executor executor;
    /** Guarded by {@code this}: the read in flight, or the last one. */
    private CompletableFuture<Void> pending = CompletableFuture.completedFuture(null);
    private boolean started;

    /**
     * @param timeout how long a probe waits for the store
     * @param executor runs the reads; a thread per read by default (see {@link #StoreProbe(IdempotencyStore, Duration)})
     */
    public StoreProbe(IdempotencyStore store, Duration timeout, Executor executor) {
        this.store = Objects.requireNonNull(store, "store");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.executor = Objects.requireNonNull(executor, "executor");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("the probe timeout must be positive, got " + timeout);
        }
    }

    /** A probe whose reads run on daemon threads started for them. */
    public StoreProbe(IdempotencyStore store, Duration timeout) {
        this(store, timeout, task -> {
            Thread thread = new Thread(task, "idempotency-health-probe");
            thread.setDaemon(true);
            thread.start();
        });
    }

    /** What one probe found. */
    public sealed interface Result {
        /** How long the probe waited. */
        Duration elapsed();

        /** The store answered in time. */
        record Up(Duration elapsed) implements Result {}

        /** The store failed. */
        record Failed(Duration elapsed, Throwable error) implements Result {}

        /** The store did not answer within the timeout. */
        record NoAnswer(Duration elapsed, Duration timeout) implements Result {}
    }

    /** Probes the store, waiting at most the timeout. */
    public Result probe() {
        long start = System.nanoTime();
        CompletableFuture<Void> read = read();
        try {
            read.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return new Result.Up(since(start));
        } catch (TimeoutException e) {
            return new Result.NoAnswer(since(start), timeout);
        } catch (ExecutionException e) {
            return new Result.Failed(since(start), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result.Failed(since(start), e);
        }
    }

    public Duration timeout() {
        return timeout;
    }

    private synchronized CompletableFuture<Void> read() {
        if (started && !pending.isDone()) {
            return pending;
        }
        started = true;
        pending = CompletableFuture.runAsync(() -> store.find(PROBE_KEY), executor);
        return pending;
    }

    private static Duration since(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }

    @Override
    public String toString() {
        return "StoreProbe[" + store + ", timeout " + timeout + "]";
    }
}
