package dev.idempotency.examples.payments.payment;

/** Where a payment is in its life. */
public enum PaymentStatus {
    /** Recorded, the gateway not yet (known to be) charged. */
    PENDING,
    /** The gateway charged it. */
    SUCCEEDED
}
