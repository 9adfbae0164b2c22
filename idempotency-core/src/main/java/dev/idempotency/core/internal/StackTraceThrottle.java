package dev.idempotency.core.internal;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Decides when a failure that repeats on every request (a store outage) is logged with its stack trace: at most once
 * per interval. The other occurrences are logged as one line with {@link #summary(Throwable)}, so an outage shows in
 * the log as one line per failed request, not a screenful each.
 */
public final class StackTraceThrottle {

    private final long intervalNanos;
    private final LongSupplier nanoTime;
    private final AtomicLong lastStackTrace;

    public StackTraceThrottle(Duration interval) {
        this(interval, System::nanoTime);
    }

    StackTraceThrottle(Duration interval, LongSupplier nanoTime) {
        this.intervalNanos = interval.toNanos();
        this.nanoTime = nanoTime;
        this.lastStackTrace = new AtomicLong(nanoTime.getAsLong() - intervalNanos - 1);
    }

    /** {@code true} for the first call and then at most once per interval, across threads. */
    public boolean stackTraceDue() {
        long now = nanoTime.getAsLong();
        long last = lastStackTrace.get();
        return now - last > intervalNanos && lastStackTrace.compareAndSet(last, now);
    }

    /** The failure and its causes on one line: {@code SQLException: connection refused <- ConnectException: ...}. */
    public static String summary(Throwable failure) {
        StringBuilder line = new StringBuilder();
        int depth = 0;
        for (Throwable cause = failure; cause != null && depth < 5; cause = cause.getCause() == cause ? null : cause.getCause(), depth++) {
            if (line.length() > 0) {
                line.append(" <- ");
            }
            line.append(cause.getClass().getSimpleName());
            if (cause.getMessage() != null) {
                line.append(": ").append(cause.getMessage().replace('\n', ' '));
            }
        }
        return line.toString();
    }
}
