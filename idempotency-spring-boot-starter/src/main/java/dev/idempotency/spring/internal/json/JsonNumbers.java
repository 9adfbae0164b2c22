package dev.idempotency.spring.internal.json;

import java.math.BigDecimal;
import java.util.Arrays;

/**
 * Reads a JSON number and writes it in canonical form: compared by value, so {@code 1}, {@code 1.0}, {@code 1e0} and
 * {@code 10E-1} are all written {@code 1}, as {@link BigDecimal#stripTrailingZeros()} followed by
 * {@link BigDecimal#toString()} would print them, but in time linear in the number's length, without the quadratic
 * cost of {@code stripTrailingZeros} on long inputs.
 */
final class JsonNumbers {

    /** Largest exponent accepted; BigDecimal (and so any Java binding) cannot represent larger ones. */
    private static final long MAX_EXPONENT = 10L * Integer.MAX_VALUE;

    private final JsonCursor json;
    /** The significant digits of the number being written; grows up to {@link JsonCanonicalizer#MAX_NUMBER_LENGTH}. */
    private byte[] digits = new byte[32];

    JsonNumbers(JsonCursor json) {
        this.json = json;
    }

    /** Validates the number at the cursor's position and writes it in canonical form. */
    void copy() {
        int start = json.pos;
        if (json.peek() == '-') {
            json.pos++;
        }
        if (json.peek() == '0') {
            json.pos++;
        } else if (JsonCursor.isDigit(json.peek())) {
            skipDigits();
        } else {
            throw new InvalidJsonException("invalid number", start);
        }
        if (json.peek() == '.') {
            json.pos++;
            if (!JsonCursor.isDigit(json.peek())) {
                throw new InvalidJsonException("invalid number: digits expected after '.'", json.pos);
            }
            skipDigits();
        }
        if (json.peek() == 'e' || json.peek() == 'E') {
            json.pos++;
            if (json.peek() == '+' || json.peek() == '-') {
                json.pos++;
            }
            if (!JsonCursor.isDigit(json.peek())) {
                throw new InvalidJsonException("invalid number: digits expected in the exponent", json.pos);
            }
            skipDigits();
        }
        if (json.pos - start > JsonCanonicalizer.MAX_NUMBER_LENGTH) {
            throw new InvalidJsonException("number longer than " + JsonCanonicalizer.MAX_NUMBER_LENGTH + " characters", start);
        }
        write(start, json.pos);
    }

    private void skipDigits() {
        while (JsonCursor.isDigit(json.peek())) {
            json.pos++;
        }
    }

    /**
     * Writes the number in {@code in[start, end)} (already validated) in canonical form: the digits without leading
     * and trailing zeros, and the exponent adjusted to match.
     */
    private void write(int start, int end) {
        byte[] in = json.in;
        int i = start;
        boolean negative = in[i] == '-';
        if (negative) {
            i++;
        }
        int digitCount = 0;
        long fractionDigits = 0;
        boolean inFraction = false;
        while (i < end) {
            byte c = in[i];
            if (c == '.') {
                inFraction = true;
            } else if (c == 'e' || c == 'E') {
                break;
            } else {
                if (digitCount > 0 || c != '0') {
                    if (digitCount == digits.length) {
                        digits = Arrays.copyOf(digits, Math.min(digits.length * 4, JsonCanonicalizer.MAX_NUMBER_LENGTH));
                    }
                    digits[digitCount++] = c;
                }
                if (inFraction) {
                    fractionDigits++;
                }
            }
            i++;
        }
        long exponent = 0;
        if (i < end) {
            i++; // 'e' or 'E'
            boolean negativeExponent = false;
            if (in[i] == '+' || in[i] == '-') {
                negativeExponent = in[i] == '-';
                i++;
            }
            while (i < end) {
                exponent = exponent * 10 + (in[i++] - '0');
                if (exponent > MAX_EXPONENT) {
                    throw new InvalidJsonException("number out of range", start);
                }
            }
            if (negativeExponent) {
                exponent = -exponent;
            }
        }
        // Strip trailing zeros of the significand into the exponent.
        int significant = digitCount;
        while (significant > 0 && digits[significant - 1] == '0') {
            significant--;
        }
        if (significant == 0) {
            json.write('0');
            return;
        }
        exponent += (digitCount - significant) - fractionDigits;
        // value = digits * 10^exponent; BigDecimal's scale is -exponent.
        long scale = -exponent;
        long adjusted = exponent + (significant - 1);
        if (scale > Integer.MAX_VALUE || scale < Integer.MIN_VALUE) {
            throw new InvalidJsonException("number out of range", start);
        }
        // The sign, the digits, "0." and up to six zeros, or a point and an exponent of at most 11 characters.
        json.ensureCapacity(significant + 16);
        byte[] buffer = json.buffer;
        if (negative) {
            buffer[json.length++] = '-';
        }
        if (scale == 0) {
            writeDigits(0, significant);
        } else if (scale > 0 && adjusted >= -6) {
            if (significant > scale) {
                int point = (int) (significant - scale);
                writeDigits(0, point);
                buffer[json.length++] = '.';
                writeDigits(point, significant);
            } else {
                buffer[json.length++] = '0';
                buffer[json.length++] = '.';
                for (long zeros = scale - significant; zeros > 0; zeros--) {
                    buffer[json.length++] = '0';
                }
                writeDigits(0, significant);
            }
        } else {
            buffer[json.length++] = digits[0];
            if (significant > 1) {
                buffer[json.length++] = '.';
                writeDigits(1, significant);
            }
            buffer[json.length++] = 'E';
            if (adjusted > 0) {
                buffer[json.length++] = '+';
            }
            writeExponent(adjusted);
        }
    }

    /** Writes the exponent's sign (if negative) and digits, without the String that Long.toString allocates. */
    private void writeExponent(long exponent) {
        if (exponent < 0) {
            json.buffer[json.length++] = '-';
            exponent = -exponent;
        }
        long divisor = 1;
        while (divisor <= exponent / 10) {
            divisor *= 10;
        }
        for (; divisor > 0; divisor /= 10) {
            json.buffer[json.length++] = (byte) ('0' + (exponent / divisor) % 10);
        }
    }

    private void writeDigits(int from, int to) {
        System.arraycopy(digits, from, json.buffer, json.length, to - from);
        json.length += to - from;
    }
}
