package dev.idempotency.spring.internal.json;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.TreeMap;

/**
 * The canonicaliser as it was before it became linear in the body: it builds each object's text from its members'
 * texts, so it copies nested bytes once per level. Kept as the reference the linear one must agree with, byte for byte.
 */
final class TreeJsonCanonicalizer {

    /** Deepest nesting accepted; deeper documents are rejected rather than risking a stack overflow. */
    static final int MAX_DEPTH = 256;

    /**
     * Longest number accepted, in characters, as Jackson's {@code StreamReadConstraints} limits numbers: longer ones
     * are rejected rather than spending time on them.
     */
    static final int MAX_NUMBER_LENGTH = 1000;

    /** Largest exponent accepted; BigDecimal (and so any Java binding) cannot represent larger ones. */
    private static final long MAX_EXPONENT = 10L * Integer.MAX_VALUE;

    private final String text;
    private int pos;

    private TreeJsonCanonicalizer(String text) {
        this.text = text;
    }

    /** Canonicalises UTF-8 JSON bytes. */
    static byte[] canonicalize(byte[] json) {
        return canonicalize(json, StandardCharsets.UTF_8);
    }

    /** Canonicalises JSON bytes in the given charset; the result is always UTF-8. */
    static byte[] canonicalize(byte[] json, Charset charset) {
        return canonicalize(decode(json, charset)).getBytes(StandardCharsets.UTF_8);
    }

    /** Canonicalises a JSON text. */
    static String canonicalize(String json) {
        TreeJsonCanonicalizer parser = new TreeJsonCanonicalizer(json);
        StringBuilder out = new StringBuilder(json.length());
        parser.skipWhitespace();
        parser.value(out, 0);
        parser.skipWhitespace();
        if (parser.pos != json.length()) {
            throw new InvalidJsonException("unexpected content after the JSON value", parser.pos);
        }
        return out.toString();
    }

    private static String decode(byte[] bytes, Charset charset) {
        try {
            return charset.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new InvalidJsonException("the body is not valid " + charset.name(), 0);
        }
    }

    private void value(StringBuilder out, int depth) {
        if (depth > MAX_DEPTH) {
            throw new InvalidJsonException("nested deeper than " + MAX_DEPTH, pos);
        }
        if (pos >= text.length()) {
            throw new InvalidJsonException("unexpected end of input", pos);
        }
        char c = text.charAt(pos);
        switch (c) {
            case '{' -> object(out, depth);
            case '[' -> array(out, depth);
            case '"' -> writeString(out, string());
            case 't' -> literal(out, "true");
            case 'f' -> literal(out, "false");
            case 'n' -> literal(out, "null");
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    number(out);
                } else {
                    throw new InvalidJsonException("unexpected character '" + printable(c) + "'", pos);
                }
            }
        }
    }

    private void object(StringBuilder out, int depth) {
        pos++;
        TreeMap<String, String> members = new TreeMap<>();
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            out.append("{}");
            return;
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw new InvalidJsonException("expected a member name", pos);
            }
            int nameAt = pos;
            String name = string();
            skipWhitespace();
            expect(':');
            skipWhitespace();
            StringBuilder member = new StringBuilder();
            value(member, depth + 1);
            if (members.put(name, member.toString()) != null) {
                throw new InvalidJsonException("duplicate member name", nameAt);
            }
            skipWhitespace();
            char c = next();
            if (c == '}') {
                break;
            }
            if (c != ',') {
                throw new InvalidJsonException("expected ',' or '}'", pos - 1);
            }
        }
        out.append('{');
        boolean first = true;
        for (var entry : members.entrySet()) {
            if (!first) {
                out.append(',');
            }
            first = false;
            writeString(out, entry.getKey());
            out.append(':').append(entry.getValue());
        }
        out.append('}');
    }

    private void array(StringBuilder out, int depth) {
        pos++;
        out.append('[');
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            out.append(']');
            return;
        }
        while (true) {
            skipWhitespace();
            value(out, depth + 1);
            skipWhitespace();
            char c = next();
            if (c == ']') {
                break;
            }
            if (c != ',') {
                throw new InvalidJsonException("expected ',' or ']'", pos - 1);
            }
            out.append(',');
        }
        out.append(']');
    }

    private String string() {
        int start = pos;
        pos++;
        StringBuilder value = new StringBuilder();
        while (true) {
            if (pos >= text.length()) {
                throw new InvalidJsonException("unterminated string", pos);
            }
            char c = text.charAt(pos++);
            if (c == '"') {
                checkSurrogates(value, start);
                return value.toString();
            }
            if (c < 0x20) {
                throw new InvalidJsonException("unescaped control character in a string", pos - 1);
            }
            if (c != '\\') {
                value.append(c);
                continue;
            }
            char escaped = next();
            switch (escaped) {
                case '"' -> value.append('"');
                case '\\' -> value.append('\\');
                case '/' -> value.append('/');
                case 'b' -> value.append('\b');
                case 'f' -> value.append('\f');
                case 'n' -> value.append('\n');
                case 'r' -> value.append('\r');
                case 't' -> value.append('\t');
                case 'u' -> value.append(unicodeEscape());
                default -> throw new InvalidJsonException("invalid escape '\\" + printable(escaped) + "'", pos - 1);
            }
        }
    }

    /**
     * Rejects a string with an unpaired surrogate (such as {@code "\\ud800"}): it is not Unicode text, it cannot be
     * encoded as UTF-8 (the encoder would turn it into {@code ?}, colliding with a real question mark), and parsers
     * disagree on what it means.
     */
    private static void checkSurrogates(CharSequence value, int at) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new InvalidJsonException("unpaired UTF-16 surrogate in a string", at);
            }
        }
    }

    private char unicodeEscape() {
        if (pos + 4 > text.length()) {
            throw new InvalidJsonException("truncated \\u escape", pos);
        }
        int code = 0;
        for (int i = 0; i < 4; i++) {
            int digit = Character.digit(text.charAt(pos + i), 16);
            if (digit < 0) {
                throw new InvalidJsonException("invalid \\u escape", pos);
            }
            code = code * 16 + digit;
        }
        pos += 4;
        return (char) code;
    }

    private void number(StringBuilder out) {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        if (peek() == '0') {
            pos++;
        } else if (isDigit(peek())) {
            digits();
        } else {
            throw new InvalidJsonException("invalid number", start);
        }
        if (peek() == '.') {
            pos++;
            if (!isDigit(peek())) {
                throw new InvalidJsonException("invalid number: digits expected after '.'", pos);
            }
            digits();
        }
        if (peek() == 'e' || peek() == 'E') {
            pos++;
            if (peek() == '+' || peek() == '-') {
                pos++;
            }
            if (!isDigit(peek())) {
                throw new InvalidJsonException("invalid number: digits expected in the exponent", pos);
            }
            digits();
        }
        if (pos - start > MAX_NUMBER_LENGTH) {
            throw new InvalidJsonException("number longer than " + MAX_NUMBER_LENGTH + " characters", start);
        }
        writeNumber(out, start, pos);
    }

    /**
     * Writes the number in {@code text[start, end)} (already validated) in canonical form, in time linear in its
     * length: the digits without leading and trailing zeros, and the exponent adjusted to match, printed as
     * {@link BigDecimal#stripTrailingZeros()} followed by {@link BigDecimal#toString()} would print it (so the
     * canonical form, and every fingerprint, is unchanged from the BigDecimal-based version), without the quadratic
     * cost of {@code stripTrailingZeros} on long inputs.
     */
    private void writeNumber(StringBuilder out, int start, int end) {
        int i = start;
        boolean negative = text.charAt(i) == '-';
        if (negative) {
            i++;
        }
        StringBuilder digits = new StringBuilder(end - start);
        long fractionDigits = 0;
        boolean inFraction = false;
        while (i < end) {
            char c = text.charAt(i);
            if (c == '.') {
                inFraction = true;
            } else if (c == 'e' || c == 'E') {
                break;
            } else {
                if (digits.length() > 0 || c != '0') {
                    digits.append(c);
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
            if (text.charAt(i) == '+' || text.charAt(i) == '-') {
                negativeExponent = text.charAt(i) == '-';
                i++;
            }
            while (i < end) {
                exponent = exponent * 10 + (text.charAt(i++) - '0');
                if (exponent > MAX_EXPONENT) {
                    throw new InvalidJsonException("number out of range", start);
                }
            }
            if (negativeExponent) {
                exponent = -exponent;
            }
        }
        // Strip trailing zeros of the significand into the exponent.
        int length = digits.length();
        while (length > 0 && digits.charAt(length - 1) == '0') {
            length--;
        }
        if (length == 0) {
            out.append('0');
            return;
        }
        exponent += (digits.length() - length) - fractionDigits;
        digits.setLength(length);
        // value = digits * 10^exponent; BigDecimal's scale is -exponent.
        long scale = -exponent;
        long adjusted = exponent + (length - 1);
        if (scale > Integer.MAX_VALUE || scale < Integer.MIN_VALUE) {
            throw new InvalidJsonException("number out of range", start);
        }
        if (negative) {
            out.append('-');
        }
        if (scale == 0) {
            out.append(digits);
        } else if (scale > 0 && adjusted >= -6) {
            if (length > scale) {
                int point = (int) (length - scale);
                out.append(digits, 0, point).append('.').append(digits, point, length);
            } else {
                out.append("0.");
                for (long zeros = scale - length; zeros > 0; zeros--) {
                    out.append('0');
                }
                out.append(digits);
            }
        } else {
            out.append(digits.charAt(0));
            if (length > 1) {
                out.append('.').append(digits, 1, length);
            }
            out.append('E');
            if (adjusted > 0) {
                out.append('+');
            }
            out.append(adjusted);
        }
    }

    private void digits() {
        while (isDigit(peek())) {
            pos++;
        }
    }

    private void literal(StringBuilder out, String literal) {
        if (!text.startsWith(literal, pos)) {
            throw new InvalidJsonException("invalid literal", pos);
        }
        pos += literal.length();
        out.append(literal);
    }

    private void expect(char expected) {
        if (next() != expected) {
            throw new InvalidJsonException("expected '" + expected + "'", pos - 1);
        }
    }

    private char next() {
        if (pos >= text.length()) {
            throw new InvalidJsonException("unexpected end of input", pos);
        }
        return text.charAt(pos++);
    }

    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private void skipWhitespace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static String printable(char c) {
        return c >= 0x20 && c < 0x7F ? String.valueOf(c) : String.format("U+%04X", (int) c);
    }

    /** Writes a string with the minimal escaping of RFC 8785. */
    static void writeString(StringBuilder out, String value) {
        out.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
