package dev.idempotency.examples.payments.payment;

import java.time.Instant;

/**
 * A payment row.
 *
 * @param id the payment id, in the {@code Location} of the create response
 * @param owner the user who created it
 * @param idempotencyKey the client's key; (owner, idempotencyKey) is unique
 * @param chargeKey the key the gateway was charged with, derived from the idempotency key
 * @param amount amount in minor units (cents)
 * @param currency ISO 4217 code
 * @param description free text, may be {@code null}
 * @param status where the payment is
 * @param chargeId the gateway's charge id once {@link PaymentStatus#SUCCEEDED}
 * @param createdAt when the payment was first recorded
 */
public record Payment(
        String id, String owner, String idempotencyKey, String chargeKey, long amount, String currency,
        String description, PaymentStatus status, String chargeId, Instant createdAt) {}
