package dev.idempotency.core.store;

/**
 * A store could not be reached or failed to answer. The operation's effect is unknown to the caller, so the
 * engine fails closed: work never runs without a successful claim.
 */
public class IdempotencyStoreException extends RuntimeException {

    public IdempotencyStoreException(String message, Throwable cause) {
        super(message, cause);
    }

    public IdempotencyStoreException(String message) {
        super(message);
    }
}
