package dev.idempotency.examples.payments.payment;

/** Where a payment is in its life. */
public enum PaymentStatus {
    /** Recorded, the gateway not yet (known to be) charged. A retry after a crash continues from here. */
    PENDING,
    /** The gateway charged it. */
    SUCCEEDED
}
