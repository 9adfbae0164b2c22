package dev.idempotency.core.internal;

import java.time.Duration;

/** The engine's waits between polls and retries: interruptible, and never shorter than a millisecond. */
public final class Pause {

    private Pause() {}

    /** Sleeps; {@code false} when interrupted, with the interrupt flag restored. */
    public static boolean sleep(Duration duration) {
        try {
            Thread.sleep(Math.max(1, duration.toMillis()));
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
