package dev.idempotency.core;

/**
 * The worker's claim was taken over by another worker after its lease expired. Anything the worker writes to
 * the store from now on is rejected, so it should stop.
 */
public class OwnershipLostException extends RuntimeException {

    public OwnershipLostException(IdempotencyKey key) {
        super("The claim on " + key + " was taken over by another worker after its lease expired");
    }
}
