package dev.idempotency.spring.method;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.spring.Idempotent;
import java.time.Duration;
import java.util.Objects;

/**
 * Thrown by an {@link Idempotent} bean method when another call with the same key is still running (on this instance
 * or another), and the method did not run. Let it reach the listener container, or reject the message yourself, so
 * the broker redelivers it: by then the first call has completed and the redelivery returns without running, or the
 * first call failed (or its instance crashed and its lease ran out) and the redelivery runs.
 */
public class IdempotencyInProgressException extends RuntimeException {

    private final transient IdempotencyKey key;
    private final Duration retryAfter;

    public IdempotencyInProgressException(IdempotencyKey key, Duration retryAfter) {
        super("Idempotency key " + Objects.requireNonNull(key, "key") + " is held by a call still running; retry in "
                + retryAfter.toSeconds() + "s");
        this.key = key;
        this.retryAfter = retryAfter;
    }

    public IdempotencyKey key() {
        return key;
    }

    /** A hint for when to retry: the time left on the running call's lease, at least one second. */
    public Duration retryAfter() {
        return retryAfter;
    }
}
