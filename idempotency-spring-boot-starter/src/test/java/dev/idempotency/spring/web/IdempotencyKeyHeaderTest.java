package dev.idempotency.spring.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idempotency.core.IdempotencyKeyValidator;
import dev.idempotency.core.InvalidIdempotencyKeyException;
import dev.idempotency.core.InvalidIdempotencyKeyException.Reason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class IdempotencyKeyHeaderTest {

    private final IdempotencyKeyHeader header = new IdempotencyKeyHeader("Idempotency-Key", new IdempotencyKeyValidator(16));

    @Test
    void bareAndQuotedFormsGiveTheSameKey() {
        assertThat(header.parse("8e03978e-40d5")).isEqualTo("8e03978e-40d5");
        assertThat(header.parse("\"8e03978e-40d5\"")).isEqualTo("8e03978e-40d5");
        assertThat(header.parse("  \"abc\"\t")).isEqualTo("abc");
        assertThat(header.parse(" abc ")).isEqualTo("abc");
    }

    @Test
    void quotedFormUnescapesQuoteAndBackslash() {
        assertThat(header.parse("\"a\\\"b\"")).isEqualTo("a\"b");
        assertThat(header.parse("\"a\\\\b\"")).isEqualTo("a\\b");
        assertThat(header.parse("\"a b\"")).isEqualTo("a b");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "\"abc|MALFORMED",
            "\"abc\"x|MALFORMED",
            "\"abc\" \"def\"|MALFORMED",
            "\"a\\b\"|MALFORMED",
            "\"abc\\|MALFORMED",
            "\"|MALFORMED",
            "\"\"|EMPTY",
            "''|EMPTY",
            "abcdefghijklmnopq|TOO_LONG",
            "\"abcdefghijklmnopq\"|TOO_LONG",
            "ключ|NOT_PRINTABLE_ASCII",
    })
    void rejectsWithTheReason(String value, Reason reason) {
        assertThatThrownBy(() -> header.parse(value))
                .isInstanceOfSatisfying(InvalidIdempotencyKeyException.class, e -> assertThat(e.reason()).isEqualTo(reason));
    }

    @Test
    void nullIsEmpty() {
        assertThatThrownBy(() -> header.parse(null))
                .isInstanceOfSatisfying(InvalidIdempotencyKeyException.class, e -> assertThat(e.reason()).isEqualTo(Reason.EMPTY));
    }
}
