package dev.idempotency.core;

/**
 * Decides whether a finished run's result is stored for replay or its claim released so the caller can retry.
 *
 * <p>Exceptions thrown by the work always release the claim: the engine cannot replay an exception, and a
 * failure that escaped the work is usually transient. Results that describe a failure (an HTTP 5xx, say) are the
 * policy's call.
 */
@FunctionalInterface
public interface OutcomePolicy<T> {

    /** {@code true} to store {@code result} and replay it; {@code false} to release the claim. */
    boolean shouldStore(T result);

    /** Stores every result. */
    static <T> OutcomePolicy<T> storeAll() {
        return result -> true;
    }
}
