package dev.idempotency.spring.internal.json;

import java.nio.charset.StandardCharsets;

/**
 * Copies a JSON string into the canonical output with the minimal escaping of RFC 8785: only {@code "}, {@code \}
 * and control characters are escaped, so {@code "\u0041"} and {@code "A"} are equal. Rejects what a strict parser
 * rejects: invalid escapes, unpaired UTF-16 surrogates, and bytes that are not UTF-8.
 */
final class JsonStrings {

    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private JsonStrings() {}

    /** Copies the string at the cursor's position, which is its opening quote, checking its UTF-8. */
    static void copy(JsonCursor json) {
        json.pos++;
        json.write('"');
        byte[] in = json.in;
        while (true) {
            if (json.pos >= in.length) {
                throw new InvalidJsonException("unterminated string", json.pos);
            }
            int c = in[json.pos] & 0xFF;
            if (c == '"') {
                json.pos++;
                json.write('"');
                return;
            }
            if (c == '\\') {
                json.pos++;
                escape(json);
            } else if (c < 0x20) {
                throw new InvalidJsonException("unescaped control character in a string", json.pos);
            } else if (c < 0x80) {
                json.write(c);
                json.pos++;
            } else {
                copyUtf8Sequence(json, c);
            }
        }
    }

    private static void escape(JsonCursor json) {
        int escaped = json.next();
        switch (escaped) {
            case '"' -> writeCodeUnit(json, '"');
            case '\\' -> writeCodeUnit(json, '\\');
            case '/' -> writeCodeUnit(json, '/');
            case 'b' -> writeCodeUnit(json, '\b');
            case 'f' -> writeCodeUnit(json, '\f');
            case 'n' -> writeCodeUnit(json, '\n');
            case 'r' -> writeCodeUnit(json, '\r');
            case 't' -> writeCodeUnit(json, '\t');
            case 'u' -> {
                int at = json.pos - 2;
                char unit = unicodeEscape(json);
                if (Character.isHighSurrogate(unit)) {
                    if (json.pos + 1 < json.in.length && json.in[json.pos] == '\\' && json.in[json.pos + 1] == 'u') {
                        json.pos += 2;
                        char low = unicodeEscape(json);
                        if (Character.isLowSurrogate(low)) {
                            writeCodePoint(json, Character.toCodePoint(unit, low));
                            return;
                        }
                    }
                    throw new InvalidJsonException("unpaired UTF-16 surrogate in a string", at);
                }
                if (Character.isLowSurrogate(unit)) {
                    throw new InvalidJsonException("unpaired UTF-16 surrogate in a string", at);
                }
                writeCodeUnit(json, unit);
            }
            default -> throw new InvalidJsonException("invalid escape: backslash followed by "
                    + JsonCursor.printable(escaped), json.pos - 1);
        }
    }

    private static char unicodeEscape(JsonCursor json) {
        if (json.pos + 4 > json.in.length) {
            throw new InvalidJsonException("truncated \\u escape", json.pos);
        }
        int code = 0;
        for (int i = 0; i < 4; i++) {
            int digit = Character.digit(json.in[json.pos + i] & 0xFF, 16);
            if (digit < 0) {
                throw new InvalidJsonException("invalid \\u escape", json.pos);
            }
            code = code * 16 + digit;
        }
        json.pos += 4;
        return (char) code;
    }

    /**
     * Copies one multi-byte UTF-8 sequence whose first byte is {@code lead}, rejecting what a strict decoder
     * rejects: stray continuation bytes, overlong forms, encoded surrogates and code points above U+10FFFF.
     */
    private static void copyUtf8Sequence(JsonCursor json, int lead) {
        int continuations;
        if (lead >= 0xC2 && lead <= 0xDF) {
            continuations = 1;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            continuations = 2;
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            continuations = 3;
        } else {
            throw notUtf8(json);
        }
        // The range of the second byte: narrower after E0 (overlong), ED (surrogates), F0 (overlong), F4 (> U+10FFFF).
        int min = lead == 0xE0 ? 0xA0 : lead == 0xF0 ? 0x90 : 0x80;
        int max = lead == 0xED ? 0x9F : lead == 0xF4 ? 0x8F : 0xBF;
        if (json.pos + continuations >= json.in.length) {
            throw notUtf8(json);
        }
        for (int i = 1; i <= continuations; i++) {
            int c = json.in[json.pos + i] & 0xFF;
            if (c < (i == 1 ? min : 0x80) || c > (i == 1 ? max : 0xBF)) {
                throw notUtf8(json);
            }
        }
        json.ensureCapacity(continuations + 1);
        System.arraycopy(json.in, json.pos, json.buffer, json.length, continuations + 1);
        json.length += continuations + 1;
        json.pos += continuations + 1;
    }

    private static InvalidJsonException notUtf8(JsonCursor json) {
        return new InvalidJsonException("the body is not valid UTF-8", json.pos);
    }

    /** Writes one UTF-16 code unit that is not a surrogate, escaped as RFC 8785 requires. */
    private static void writeCodeUnit(JsonCursor json, char c) {
        switch (c) {
            case '"' -> json.write('\\', '"');
            case '\\' -> json.write('\\', '\\');
            case '\b' -> json.write('\\', 'b');
            case '\f' -> json.write('\\', 'f');
            case '\n' -> json.write('\\', 'n');
            case '\r' -> json.write('\\', 'r');
            case '\t' -> json.write('\\', 't');
            default -> {
                if (c < 0x20) {
                    json.write('\\', 'u');
                    json.write('0', '0');
                    json.write(HEX[c >> 4], HEX[c & 0xF]);
                } else {
                    writeCodePoint(json, c);
                }
            }
        }
    }

    private static void writeCodePoint(JsonCursor json, int codePoint) {
        json.ensureCapacity(4);
        byte[] buffer = json.buffer;
        if (codePoint < 0x80) {
            buffer[json.length++] = (byte) codePoint;
        } else if (codePoint < 0x800) {
            buffer[json.length++] = (byte) (0xC0 | (codePoint >> 6));
            buffer[json.length++] = (byte) (0x80 | (codePoint & 0x3F));
        } else if (codePoint < 0x10000) {
            buffer[json.length++] = (byte) (0xE0 | (codePoint >> 12));
            buffer[json.length++] = (byte) (0x80 | ((codePoint >> 6) & 0x3F));
            buffer[json.length++] = (byte) (0x80 | (codePoint & 0x3F));
        } else {
            buffer[json.length++] = (byte) (0xF0 | (codePoint >> 18));
            buffer[json.length++] = (byte) (0x80 | ((codePoint >> 12) & 0x3F));
            buffer[json.length++] = (byte) (0x80 | ((codePoint >> 6) & 0x3F));
            buffer[json.length++] = (byte) (0x80 | (codePoint & 0x3F));
        }
    }
}
