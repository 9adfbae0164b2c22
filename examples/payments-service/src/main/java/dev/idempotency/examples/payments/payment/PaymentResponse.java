package dev.idempotency.examples.payments.payment;

import java.time.Instant;

/** A payment as the API shows it. */
public record PaymentResponse(
        String id, long amount, String currency, String description, PaymentStatus status, Instant createdAt) {

    static PaymentResponse of(Payment payment) {
        return new PaymentResponse(payment.id(), payment.amount(), payment.currency(), payment.description(),
                payment.status(), payment.createdAt());
    }
}
