package dev.idempotency.core;

/**
 * The engine is shutting down or closed and takes no new claims; the work did not run.
 *
 * <p>Deliberately not an {@link dev.idempotency.core.store.IdempotencyStoreException}: a caller that fails open on
 * store outages must not run work unprotected because the engine is stopping. Answer it as a temporary refusal
 * (HTTP 503, or a message left unacknowledged for redelivery).
 */
public class IdempotencyEngineClosedException extends IllegalStateException {

    public IdempotencyEngineClosedException(String message) {
        super(message);
    }
}
