package dev.idempotency.examples.payments.payment;

import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Positive;
import jakarta.validation.constraints.Size;

/**
 * The body of {@code POST /payments}.
 *
 * @param amount a positive amount in minor units, e.g. 1250 for 12.50
 * @param currency a three-letter ISO 4217 code in capitals, e.g. {@code EUR}
 * @param description optional free text; {@code gateway-down} makes the fake gateway refuse the charge
 */
public record CreatePaymentRequest(
        @NotNull @Positive Long amount,
        @NotNull @Pattern(regexp = "[A-Z]{3}", message = "must be a three-letter ISO 4217 code such as EUR") String currency,
        @Size(max = 255) String description) {}
