package dev.idempotency.examples.payments.payment;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.validation.ConstraintViolation;
import jakarta.validation.Validation;
import jakarta.validation.Validator;
import jakarta.validation.ValidatorFactory;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The request body's constraints, which decide between 201 and a 400 problem. */
class CreatePaymentRequestTest {

    private static ValidatorFactory factory;
    private static Validator validator;

    @BeforeAll
    static void createValidator() {
        factory = Validation.buildDefaultValidatorFactory();
        validator = factory.getValidator();
    }

    @AfterAll
    static void closeValidator() {
        factory.close();
    }

    @Test
    void acceptsAPositiveAmountAndACurrencyCode() {
        assertThat(invalidFields(new CreatePaymentRequest(1250L, "EUR", "Coffee beans"))).isEmpty();
        assertThat(invalidFields(new CreatePaymentRequest(1L, "JPY", null))).isEmpty();
    }

    @Test
    void rejectsAMissingZeroOrNegativeAmount() {
        assertThat(invalidFields(new CreatePaymentRequest(null, "EUR", null))).containsExactly("amount");
        assertThat(invalidFields(new CreatePaymentRequest(0L, "EUR", null))).containsExactly("amount");
        assertThat(invalidFields(new CreatePaymentRequest(-5L, "EUR", null))).containsExactly("amount");
    }

    @Test
    void rejectsAnythingButThreeCapitalLettersAsCurrency() {
        assertThat(invalidFields(new CreatePaymentRequest(1L, null, null))).containsExactly("currency");
        assertThat(invalidFields(new CreatePaymentRequest(1L, "eur", null))).containsExactly("currency");
        assertThat(invalidFields(new CreatePaymentRequest(1L, "EURO", null))).containsExactly("currency");
    }

    @Test
    void rejectsADescriptionLongerThanTheColumn() {
        assertThat(invalidFields(new CreatePaymentRequest(1L, "EUR", "x".repeat(256)))).containsExactly("description");
    }

    private static Set<String> invalidFields(CreatePaymentRequest request) {
        Set<ConstraintViolation<CreatePaymentRequest>> violations = validator.validate(request);
        return violations.stream().map(violation -> violation.getPropertyPath().toString()).collect(Collectors.toSet());
    }
}
