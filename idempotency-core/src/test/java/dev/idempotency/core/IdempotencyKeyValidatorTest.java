package dev.idempotency.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idempotency.core.InvalidIdempotencyKeyException.Reason;
import org.junit.jupiter.params.ParameterizedTest;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class IdempotencyKeyValidatorTest {

    private final IdempotencyKeyValidator validator = new IdempotencyKeyValidator();

    @ParameterizedTest
    @ValueSource(strings = {"a", "8e03978e-40d5-43e8-bc93-6894a57f9324", "order 42/retry:1", "~!@#$%^&*()_+{}|:<>?"})
    void acceptsPrintableAsciiKeys(String key) {
        assertThat(validator.validate(key)).isEqualTo(key);
    }

    @Test
    void acceptsAKeyOfExactlyTheMaximumLength() {
        String key = "k".repeat(255);
        assertThat(validator.validate(key)).isEqualTo(key);
    }

    @Test
    void rejectsEmptyAndMissingKeys() {
        assertReason("", Reason.EMPTY);
        assertReason(null, Reason.EMPTY);
    }

    @Test
    void rejectsAKeyOverTheMaximumLength() {
        assertReason("k".repeat(256), Reason.TOO_LONG);
        assertThatThrownBy(() -> new IdempotencyKeyValidator(8).validate("123456789"))
                .isInstanceOf(InvalidIdempotencyKeyException.class).hasMessageContaining("at most 8");
    }

    static Stream<Arguments> unprintableKeys() {
        return Stream.of(
                Arguments.of("tab\tkey", 3),
                Arguments.of("new\nline", 3),
                Arguments.of("caf\u00e9", 3),
                Arguments.of("nul\u0000", 3),
                Arguments.of("del\u007f", 3),
                Arguments.of("\u2603", 0),
                Arguments.of("emoji\uD83D\uDE00", 5));
    }

    @ParameterizedTest
    @MethodSource("unprintableKeys")
    void rejectsControlCharactersAndNonAscii(String key, int position) {
        assertThatThrownBy(() -> validator.validate(key))
                .isInstanceOf(InvalidIdempotencyKeyException.class)
                .hasMessageContaining("position " + position)
                .extracting(e -> ((InvalidIdempotencyKeyException) e).reason()).isEqualTo(Reason.NOT_PRINTABLE_ASCII);
    }

    @Test
    void rejectsAMaximumLengthOutsideTheColumnWidth() {
        assertThatThrownBy(() -> new IdempotencyKeyValidator(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new IdempotencyKeyValidator(256)).isInstanceOf(IllegalArgumentException.class);
    }

    private void assertReason(String key, Reason reason) {
        assertThatThrownBy(() -> validator.validate(key))
                .isInstanceOf(InvalidIdempotencyKeyException.class)
                .extracting(e -> ((InvalidIdempotencyKeyException) e).reason()).isEqualTo(reason);
    }
}
