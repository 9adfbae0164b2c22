package dev.idempotency.core;

/**
 * Carries a checked exception thrown by {@link IdempotentWork} out of {@link IdempotencyEngine#execute}. The
 * claim was released before it was thrown. Unchecked exceptions and errors pass through unwrapped.
 */
public class IdempotentWorkException extends RuntimeException {

    public IdempotentWorkException(Throwable cause) {
        super(cause);
    }
}
