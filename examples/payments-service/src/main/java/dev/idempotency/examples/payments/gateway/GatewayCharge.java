package dev.idempotency.examples.payments.gateway;

import java.time.Instant;

/**
 * One charge in the fake gateway's ledger.
 *
 * @param id the gateway's charge id
 * @param chargeKey the idempotency key the caller charged with; unique in the ledger
 * @param reference the caller's reference, here the payment id
 * @param amount amount in minor units
 * @param currency ISO 4217 code
 * @param description free text, may be {@code null}
 * @param createdAt when the gateway recorded the charge
 */
public record GatewayCharge(
        String id, String chargeKey, String reference, long amount, String currency, String description,
        Instant createdAt) {}
