package dev.idempotency.spring.web;

import dev.idempotency.spring.IdempotencyProperties;
import java.lang.reflect.Method;
import java.time.Duration;

/**
 * The {@code Retry-After} of a 409: {@code in-flight.retry-after} when set, else how long this handler typically
 * runs ({@link HandlerDurations}), capped by the time left on the running request's lease, which is also the answer
 * before the handler's first run; at least one second.
 */
final class RetryAfter {

    private final IdempotencyProperties.InFlight inFlight;
    private final HandlerDurations durations = new HandlerDurations();

    RetryAfter(IdempotencyProperties.InFlight inFlight) {
        this.inFlight = inFlight;
    }

    /** Records how long a run of {@code handler} took, for the next duplicates' hint. */
    void record(Method handler, Duration elapsed) {
        durations.record(handler, elapsed);
    }

    long seconds(Method handler, Duration leaseLeft) {
        Duration hint = inFlight.getRetryAfter();
        if (hint == null) {
            hint = durations.typical(handler).filter(typical -> typical.compareTo(leaseLeft) < 0).orElse(leaseLeft);
        }
        return Math.max(1, (hint.toMillis() + 999) / 1000);
    }
}
