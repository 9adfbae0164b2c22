package dev.idempotency.spring.json;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.TreeMap;

/**
 * Rewrites a JSON document into one canonical form, so that two requests that mean the same thing fingerprint the
 * same even if a client serialises them differently. Dependency-free on purpose: the starter supports Boot
 * versions on both Jackson 2 and Jackson 3.
 *
 * <p>The canonical form:
 * <ol>
 *   <li>no insignificant whitespace;</li>
 *   <li>object members sorted by name (UTF-16 code units, as in RFC 8785); a name that occurs twice in one object
 *       is rejected, because parsers disagree on which value wins;</li>
 *   <li>strings re-escaped minimally: only {@code "}, {@code \} and control characters are escaped, so
 *       {@code "\u0041"} and {@code "A"} are equal;</li>
 *   <li>numbers compared by value: {@code 1}, {@code 1.0}, {@code 1e0} and {@code 10E-1} are equal, written as
 *       {@link BigDecimal#stripTrailingZeros()} prints them;</li>
 *   <li>{@code true}, {@code false} and {@code null} as they are.</li>
 * </ol>
 * Input is one JSON value (RFC 8259) nested at most {@value #MAX_DEPTH} deep; anything else is an
 * {@link InvalidJsonException}, never another exception.
 */
public final class JsonCanonicalizer {

    /** Deepest nesting accepted; deeper documents are rejected rather than risking a stack overflow. */
    public static final int MAX_DEPTH = 256;

    private final String text;
    private int pos;

    private JsonCanonicalizer(String text) {
        this.text = text;
    }

    /** Canonicalises UTF-8 JSON bytes. */
    public static byte[] canonicalize(byte[] json) {
        return canonicalize(json, StandardCharsets.UTF_8);
    }

    /** Canonicalises JSON bytes in the given charset; the result is always UTF-8. */
    public static byte[] canonicalize(byte[] json, Charset charset) {
        return canonicalize(decode(json, charset)).getBytes(StandardCharsets.UTF_8);
    }

    /** Canonicalises a JSON text. */
    public static String canonicalize(String json) {
        JsonCanonicalizer parser = new JsonCanonicalizer(json);
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
        pos++;
        StringBuilder value = new StringBuilder();
        while (true) {
            if (pos >= text.length()) {
                throw new InvalidJsonException("unterminated string", pos);
            }
            char c = text.charAt(pos++);
            if (c == '"') {
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
        try {
            BigDecimal value = new BigDecimal(text.substring(start, pos));
            out.append(value.signum() == 0 ? "0" : value.stripTrailingZeros().toString());
        } catch (NumberFormatException | ArithmeticException e) {
            // An exponent beyond BigDecimal's range.
            throw new InvalidJsonException("number out of range", start);
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
