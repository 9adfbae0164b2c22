package dev.idempotency.core;

import dev.idempotency.core.internal.Pause;
import dev.idempotency.core.store.IdempotencyRecord;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Step 3 of the engine's protocol for one request: waiting while another worker holds the key, for up to the
 * request's in-flight wait, with a pause before each re-claim (20 ms, doubling, at most 500 ms), and the
 * {@link IdempotencyOutcome.InProgress} answer once the wait is over.
 */
final class InFlightWait {

    private static final Duration MIN_RETRY_AFTER = Duration.ofSeconds(1);
    private static final Duration FIRST_POLL_DELAY = Duration.ofMillis(20);
    private static final Duration MAX_POLL_DELAY = Duration.ofMillis(500);

    private final Clock clock;
    private final Duration lease;
    private final Instant deadline;
    private Duration pollDelay = FIRST_POLL_DELAY;
    /** The other worker's record as last seen; {@code null} until the key was found held. */
    private IdempotencyRecord heldBy;

    /** Starts the wait's clock now, before the first claim. */
    InFlightWait(Clock clock, Duration wait, Duration lease) {
        this.clock = clock;
        this.lease = lease;
        this.deadline = clock.instant().plus(wait);
    }

    /** {@code true} once another worker was found holding the key. */
    boolean keyHeldByAnother() {
        return heldBy != null;
    }

    /**
     * Pauses before the next re-claim of a key that {@code record} holds. {@code false} when the wait is over: its
     * time is up, the engine is shutting down (it takes no new claims, and the key is held by another worker), or
     * the thread was interrupted (the interrupt flag stays set).
     */
    boolean pauseBeforeReclaim(IdempotencyRecord record, boolean shuttingDown) {
        heldBy = record;
        Duration left = Duration.between(clock.instant(), deadline);
        if (left.isNegative() || left.isZero() || shuttingDown) {
            return false;
        }
        if (!Pause.sleep(min(pollDelay, left))) {
            return false;
        }
        pollDelay = min(pollDelay.multipliedBy(2), MAX_POLL_DELAY);
        return true;
    }

    /** The answer once the wait is over, with a hint of when the other worker's lease runs out. */
    <T> IdempotencyOutcome.InProgress<T> inProgress() {
        return new IdempotencyOutcome.InProgress<>(heldBy, retryAfter(heldBy));
    }

    private Duration retryAfter(IdempotencyRecord record) {
        Duration left = record.leaseExpiresAt() == null ? lease : Duration.between(clock.instant(), record.leaseExpiresAt());
        // The record's time comes from the store's clock; clamping keeps a skewed server clock from producing
        // a nonsensical hint.
        if (left.compareTo(MIN_RETRY_AFTER) < 0) {
            return MIN_RETRY_AFTER;
        }
        return min(left, lease);
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
