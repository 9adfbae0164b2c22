package dev.idempotency.spring.web;

import dev.idempotency.core.IdempotencyKeyValidator;
import dev.idempotency.core.InvalidIdempotencyKeyException;
import dev.idempotency.core.InvalidIdempotencyKeyException.Reason;
import jakarta.servlet.http.HttpServletRequest;
import java.util.Collections;
import java.util.List;

/**
 * Reads the key out of the {@code Idempotency-Key} header (or the one named by {@code idempotency.header-name}).
 *
 * <p>The IETF draft defines the header as an RFC 8941 Structured Field String ({@code "abc"}, where {@code \"} and
 * {@code \\} are the only escapes); Stripe-style clients send the key bare ({@code abc}). Both forms give the same
 * key. A value that starts with a quote must be a complete sf-string with nothing after the closing quote, otherwise
 * it is {@link Reason#MALFORMED}, and so is a header sent more than once. The key is then checked by
 * {@link IdempotencyKeyValidator}.
 */
final class IdempotencyKeyHeader {

    private final String name;
    private final IdempotencyKeyValidator validator;

    IdempotencyKeyHeader(String name, IdempotencyKeyValidator validator) {
        this.name = name;
        this.validator = validator;
    }

    /** Every value of the header in the request; empty when it was not sent. */
    List<String> values(HttpServletRequest request) {
        return Collections.list(request.getHeaders(name));
    }

    /**
     * Returns the validated key of a header sent at least once.
     *
     * @throws InvalidIdempotencyKeyException when the header was sent more than once, or its value is invalid
     */
    String key(List<String> values) {
        if (values.size() > 1) {
            throw new InvalidIdempotencyKeyException(Reason.MALFORMED,
                    "The " + name + " header was sent " + values.size() + " times; send it once.");
        }
        return parse(values.get(0));
    }

    /**
     * Returns the validated key.
     *
     * @throws InvalidIdempotencyKeyException when the value is malformed or the key invalid
     */
    String parse(String headerValue) {
        String value = trimOptionalWhitespace(headerValue == null ? "" : headerValue);
        if (!value.isEmpty() && value.charAt(0) == '"') {
            value = unquote(value);
        }
        return validator.validate(value);
    }

    private static String unquote(String value) {
        StringBuilder key = new StringBuilder(value.length());
        int i = 1;
        while (i < value.length()) {
            char c = value.charAt(i);
            if (c == '\\') {
                if (i + 1 >= value.length()) {
                    throw malformed("ends inside an escape");
                }
                char escaped = value.charAt(i + 1);
                if (escaped != '"' && escaped != '\\') {
                    throw malformed("uses the escape \\" + escaped + "; only \\\" and \\\\ are allowed");
                }
                key.append(escaped);
                i += 2;
            } else if (c == '"') {
                if (i != value.length() - 1) {
                    throw malformed("has content after the closing quote");
                }
                return key.toString();
            } else {
                key.append(c);
                i++;
            }
        }
        throw malformed("has no closing quote");
    }

    private static String trimOptionalWhitespace(String value) {
        int start = 0;
        int end = value.length();
        while (start < end && isOws(value.charAt(start))) {
            start++;
        }
        while (end > start && isOws(value.charAt(end - 1))) {
            end--;
        }
        return value.substring(start, end);
    }

    private static boolean isOws(char c) {
        return c == ' ' || c == '\t';
    }

    private static InvalidIdempotencyKeyException malformed(String what) {
        return new InvalidIdempotencyKeyException(Reason.MALFORMED,
                "The quoted idempotency key " + what + ". Send it as a structured-field string (\"key\") or bare.");
    }
}
