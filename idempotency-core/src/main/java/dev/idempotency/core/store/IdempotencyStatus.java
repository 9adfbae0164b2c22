package dev.idempotency.core.store;

/** Where a record is in its life. A released record is deleted, so it needs no status of its own. */
public enum IdempotencyStatus {
    /** A worker holds the key under a lease and has not finished. */
    IN_PROGRESS,
    /** The work finished and its response is stored for replay until the record expires. */
    COMPLETED
}
