package dev.idempotency.spring.json;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

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
 *       {@link BigDecimal#stripTrailingZeros()} prints them, but computed textually in linear time; a number longer
 *       than {@value #MAX_NUMBER_LENGTH} characters is rejected;</li>
 *   <li>strings with an unpaired UTF-16 surrogate ({@code "\\ud800"}) are rejected;</li>
 *   <li>{@code true}, {@code false} and {@code null} as they are.</li>
 * </ol>
 * Input is one JSON value (RFC 8259) with at most {@code maxDepth} objects and arrays open at any point (Jackson's
 * {@code StreamReadConstraints.maxNestingDepth} counts the same way); anything else is an
 * {@link InvalidJsonException}, never another exception.
 *
 * <p>Time and memory are linear in the size of the body, whatever its nesting, because the canonicaliser runs before
 * anything is claimed and so on any caller's input. It works in two passes over UTF-8 bytes:
 * <ol>
 *   <li>Parse the body once, writing every value in canonical form into one buffer in the order it was sent, and
 *       settle each object as it closes. One whose members were sent in order stays as it is. A small one out of
 *       order that contains no object sorted before it (the innermost, most of them) is sorted where it stands,
 *       through a scratch copy. Any other is recorded (its place in the buffer, where each member starts, and the members'
 *       sorted order) in flat {@code int} arrays.</li>
 *   <li>Write the result once: copy the buffer, and where a recorded object starts, write its members in sorted
 *       order, each member's bytes copied from the buffer (and any recorded object inside it handled the same
 *       way).</li>
 * </ol>
 * Each byte is so written at most three times, and the bookkeeping is a few {@code int}s per recorded member: a
 * canonicaliser that builds each object's text from its members' texts instead copies the innermost bytes once per
 * level, and a 1 MiB body nested 255 deep made it allocate a gibibyte.
 */
public final class JsonCanonicalizer {

    /**
     * Default of the deepest nesting accepted: objects and arrays open at one point. Request bodies of real APIs
     * nest a handful of levels; Jackson accepts 1000 by default, but this limit applies before any claim, to
     * anybody's body, so it is kept well below that.
     */
    public static final int DEFAULT_MAX_DEPTH = 64;

    /**
     * Deepest nesting that may be configured. Both passes recurse once per level, and 1000 levels (Jackson's
     * default) stay far from the end of any thread stack.
     */
    public static final int MAX_CONFIGURABLE_DEPTH = 1000;

    /**
     * Longest number accepted, in characters, as Jackson's {@code StreamReadConstraints} limits numbers: longer ones
     * are rejected rather than spending time on them.
     */
    public static final int MAX_NUMBER_LENGTH = 1000;

    /** Largest exponent accepted; BigDecimal (and so any Java binding) cannot represent larger ones. */
    private static final long MAX_EXPONENT = 10L * Integer.MAX_VALUE;

    /** Fields of a recorded object in {@link #objects}. */
    private static final int OBJECT_START = 0;
    private static final int OBJECT_END = 1;
    private static final int OBJECT_SUBTREE_END = 2;
    private static final int OBJECT_FIRST_MEMBER = 3;
    private static final int OBJECT_MEMBER_COUNT = 4;
    private static final int OBJECT_FIELDS = 5;
    /**
     * Largest object sorted where it stands in pass 1. Most objects of a request are small and sorting them at once
     * spares their bookkeeping; a larger one is recorded, so the scratch copy of pass 1 never approaches the body's
     * size.
     */
    private static final int IN_PLACE_LIMIT = 16 * 1024;
    /** {@link #OBJECT_MEMBER_COUNT} of an object whose members are in order: it is copied as it is. */
    private static final int IN_ORDER = -1;

    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private final byte[] in;
    private final int maxDepth;
    private int pos;

    /** Pass 1's output: every value canonical, object members in the order they were sent. */
    private byte[] buffer;
    private int length;

    /**
     * The recorded objects, {@value #OBJECT_FIELDS} ints each, in the order they open (so by their start in
     * {@link #buffer}); the objects recorded inside object {@code i} are {@code i + 1} up to its
     * {@link #OBJECT_SUBTREE_END}.
     */
    private int[] objects = new int[16 * OBJECT_FIELDS];
    private int objectCount;

    /** Members of the objects still open: where each starts in {@link #buffer}, and the first object recorded after. */
    private int[] openMemberStarts = new int[32];
    private int[] openMemberFirstObjects = new int[32];
    private int openMemberCount;

    /** The same for the members of recorded objects, an object's members contiguous and in the order sent. */
    private int[] memberStarts = new int[32];
    private int[] memberFirstObjects = new int[32];
    /** For each recorded object's slice of the members: the members' indexes in sorted order. */
    private int[] memberOrder = new int[32];
    private int memberCount;

    private int[] sortScratch = new int[0];
    private byte[] byteScratch = new byte[0];
    /**
     * Objects sorted in place or recorded so far: an object that has more of them inside than before it opened is
     * not sorted in place.
     */
    private int sortedObjects;
    private final byte[] digits = new byte[MAX_NUMBER_LENGTH];

    /** Pass 2's output. */
    private byte[] out;
    private int outLength;

    private JsonCanonicalizer(byte[] utf8, int maxDepth) {
        this.in = utf8;
        this.maxDepth = maxDepth;
        // The canonical form is rarely longer than the body (numbers such as 10, written 1E+1, make it grow): a little
        // room spares most bodies a copy of the whole buffer.
        this.buffer = new byte[utf8.length + (utf8.length >> 6) + 16];
    }

    /** Canonicalises UTF-8 JSON bytes, nested at most {@value #DEFAULT_MAX_DEPTH} deep. */
    public static byte[] canonicalize(byte[] json) {
        return canonicalize(json, StandardCharsets.UTF_8, DEFAULT_MAX_DEPTH);
    }

    /** Canonicalises JSON bytes in the given charset, nested at most {@value #DEFAULT_MAX_DEPTH} deep. */
    public static byte[] canonicalize(byte[] json, Charset charset) {
        return canonicalize(json, charset, DEFAULT_MAX_DEPTH);
    }

    /**
     * Canonicalises JSON bytes in the given charset; the result is always UTF-8.
     *
     * @param maxDepth the most objects and arrays open at one point, 1 to {@value #MAX_CONFIGURABLE_DEPTH}
     * @throws InvalidJsonException if the bytes are not one JSON value within these limits
     */
    public static byte[] canonicalize(byte[] json, Charset charset, int maxDepth) {
        if (maxDepth < 1 || maxDepth > MAX_CONFIGURABLE_DEPTH) {
            throw new IllegalArgumentException("maxDepth must be between 1 and " + MAX_CONFIGURABLE_DEPTH + ", got " + maxDepth);
        }
        byte[] utf8 = charset.equals(StandardCharsets.UTF_8) ? json : utf8(decode(json, charset));
        return new JsonCanonicalizer(utf8, maxDepth).canonicalize();
    }

    /** Canonicalises a JSON text, nested at most {@value #DEFAULT_MAX_DEPTH} deep. */
    public static String canonicalize(String json) {
        return new String(new JsonCanonicalizer(utf8(json), DEFAULT_MAX_DEPTH).canonicalize(), StandardCharsets.UTF_8);
    }

    private byte[] canonicalize() {
        skipWhitespace();
        value(0);
        skipWhitespace();
        if (pos != in.length) {
            throw new InvalidJsonException("unexpected content after the JSON value", pos);
        }
        if (objectCount == 0) {
            return Arrays.copyOf(buffer, length);
        }
        out = new byte[length];
        writeRange(0, length, 0);
        return out;
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

    /**
     * The UTF-8 bytes of a JSON text. A surrogate without its pair cannot be encoded (an encoder would write
     * {@code ?}), so it is written as a {@code \\u} escape: inside a string the parser then pairs it with an escaped
     * neighbour or rejects it, as it would have done with the text itself; outside a string it is invalid anyway.
     */
    private static byte[] utf8(String text) {
        StringBuilder escaped = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                if (escaped != null) {
                    escaped.append(c).append(text.charAt(i + 1));
                }
                i++;
            } else if (Character.isSurrogate(c)) {
                if (escaped == null) {
                    escaped = new StringBuilder(text.length() + 16).append(text, 0, i);
                }
                escaped.append(String.format("\\u%04x", (int) c));
            } else if (escaped != null) {
                escaped.append(c);
            }
        }
        CharBuffer chars = CharBuffer.wrap(escaped == null ? text : escaped);
        ByteBuffer bytes = StandardCharsets.UTF_8.encode(chars);
        return Arrays.copyOfRange(bytes.array(), bytes.arrayOffset(), bytes.arrayOffset() + bytes.limit());
    }

    // ---- pass 1: parse, writing canonical values in the order sent ----

    /** Parses the value at {@link #pos}; {@code depth} objects and arrays enclose it. */
    private void value(int depth) {
        if (pos >= in.length) {
            throw new InvalidJsonException("unexpected end of input", pos);
        }
        int c = in[pos] & 0xFF;
        switch (c) {
            case '{' -> object(depth + 1);
            case '[' -> array(depth + 1);
            case '"' -> string();
            case 't' -> literal("true");
            case 'f' -> literal("false");
            case 'n' -> literal("null");
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    number();
                } else {
                    throw new InvalidJsonException("unexpected character " + printable(c), pos);
                }
            }
        }
    }

    private void checkDepth(int depth) {
        if (depth > maxDepth) {
            throw new InvalidJsonException("nested deeper than " + maxDepth, pos);
        }
    }

    private void object(int depth) {
        checkDepth(depth);
        int openedAt = pos;
        pos++;
        int index = objectCount++;
        int sortedBefore = sortedObjects;
        ensureObjects();
        objects[index * OBJECT_FIELDS + OBJECT_START] = length;
        write('{');
        int firstOpenMember = openMemberCount;
        skipWhitespace();
        if (peek() == '}') {
            pos++;
        } else {
            while (true) {
                skipWhitespace();
                if (peek() != '"') {
                    throw new InvalidJsonException("expected a member name", pos);
                }
                if (openMemberCount > firstOpenMember) {
                    write(',');
                }
                openMember();
                string();
                skipWhitespace();
                expect(':');
                write(':');
                skipWhitespace();
                value(depth);
                skipWhitespace();
                int c = next();
                if (c == '}') {
                    break;
                }
                if (c != ',') {
                    throw new InvalidJsonException("expected ',' or '}'", pos - 1);
                }
            }
        }
        write('}');
        closeObject(index, firstOpenMember, openedAt, sortedBefore);
    }

    private void openMember() {
        if (openMemberCount == openMemberStarts.length) {
            openMemberStarts = Arrays.copyOf(openMemberStarts, openMemberCount * 2);
            openMemberFirstObjects = Arrays.copyOf(openMemberFirstObjects, openMemberCount * 2);
        }
        openMemberStarts[openMemberCount] = length;
        openMemberFirstObjects[openMemberCount] = objectCount;
        openMemberCount++;
    }

    /**
     * Settles the object just parsed (its bytes end the buffer), the cheapest way that keeps the work linear:
     * <ul>
     *   <li>members in order and nothing recorded inside: forgotten, its bytes are canonical as they stand;</li>
     *   <li>members out of order, at most {@value #IN_PLACE_LIMIT} bytes, and no object inside it was sorted or
     *       recorded: sorted where it stands, through a scratch copy. Its ancestors then never are (they contain a
     *       sorted object), so no byte is copied this way twice, and the scratch copy stays small;</li>
     *   <li>otherwise recorded, for pass 2 to write its members in sorted order (or as they stand, if in order).</li>
     * </ul>
     */
    private void closeObject(int index, int firstOpenMember, int openedAt, int sortedBefore) {
        int count = openMemberCount - firstOpenMember;
        boolean inOrder = true;
        for (int i = firstOpenMember + 1; i < openMemberCount; i++) {
            int order = compareNames(openMemberStarts[i - 1], openMemberStarts[i]);
            if (order == 0) {
                throw new InvalidJsonException("duplicate member name in the object", openedAt);
            }
            if (order > 0) {
                inOrder = false;
                break;
            }
        }
        int base = index * OBJECT_FIELDS;
        boolean smallAndNothingInside = index == objectCount - 1 && sortedObjects == sortedBefore
                && length - objects[base + OBJECT_START] <= IN_PLACE_LIMIT;
        if (inOrder && index == objectCount - 1) {
            objectCount--;
        } else if (inOrder) {
            objects[base + OBJECT_END] = length;
            objects[base + OBJECT_SUBTREE_END] = objectCount;
            objects[base + OBJECT_MEMBER_COUNT] = IN_ORDER;
        } else if (smallAndNothingInside) {
            int first = sortMembers(firstOpenMember, count, openedAt);
            sortInPlace(objects[base + OBJECT_START], first, count);
            memberCount = first;
            objectCount--;
            sortedObjects++;
        } else {
            int first = sortMembers(firstOpenMember, count, openedAt);
            objects[base + OBJECT_END] = length;
            objects[base + OBJECT_SUBTREE_END] = objectCount;
            objects[base + OBJECT_FIRST_MEMBER] = first;
            objects[base + OBJECT_MEMBER_COUNT] = count;
            sortedObjects++;
        }
        openMemberCount = firstOpenMember;
    }

    /**
     * Moves the open object's members to the recorded members and sorts them, rejecting a name that occurs twice.
     * Returns the index of its first member.
     */
    private int sortMembers(int firstOpenMember, int count, int openedAt) {
        int first = memberCount;
        ensureMembers(count);
        System.arraycopy(openMemberStarts, firstOpenMember, memberStarts, first, count);
        System.arraycopy(openMemberFirstObjects, firstOpenMember, memberFirstObjects, first, count);
        for (int i = 0; i < count; i++) {
            memberOrder[first + i] = first + i;
        }
        memberCount += count;
        if (sortScratch.length < count) {
            sortScratch = new int[Math.max(count, sortScratch.length * 2)];
        }
        sort(first, first + count);
        for (int i = first + 1; i < first + count; i++) {
            if (compareNames(memberStarts[memberOrder[i - 1]], memberStarts[memberOrder[i]]) == 0) {
                throw new InvalidJsonException("duplicate member name in the object", openedAt);
            }
        }
        return first;
    }

    /** Rewrites the object at {@code buffer[start, length)}, which contains no object to sort, with its members sorted. */
    private void sortInPlace(int start, int first, int count) {
        int size = length - start;
        if (byteScratch.length < size) {
            byteScratch = new byte[Math.max(size, byteScratch.length * 2)];
        }
        System.arraycopy(buffer, start, byteScratch, 0, size);
        int last = first + count - 1;
        int at = start;
        buffer[at++] = '{';
        for (int k = first; k <= last; k++) {
            if (k > first) {
                buffer[at++] = ',';
            }
            int member = memberOrder[k];
            int memberStart = memberStarts[member];
            int memberEnd = member < last ? memberStarts[member + 1] - 1 : length - 1;
            System.arraycopy(byteScratch, memberStart - start, buffer, at, memberEnd - memberStart);
            at += memberEnd - memberStart;
        }
        buffer[at] = '}';
    }

    private void array(int depth) {
        checkDepth(depth);
        pos++;
        write('[');
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            write(']');
            return;
        }
        while (true) {
            skipWhitespace();
            value(depth);
            skipWhitespace();
            int c = next();
            if (c == ']') {
                break;
            }
            if (c != ',') {
                throw new InvalidJsonException("expected ',' or ']'", pos - 1);
            }
            write(',');
        }
        write(']');
    }

    /** Copies the string at {@link #pos} with the minimal escaping of RFC 8785, checking its UTF-8. */
    private void string() {
        pos++;
        write('"');
        while (true) {
            if (pos >= in.length) {
                throw new InvalidJsonException("unterminated string", pos);
            }
            int c = in[pos] & 0xFF;
            if (c == '"') {
                pos++;
                write('"');
                return;
            }
            if (c == '\\') {
                pos++;
                escape();
            } else if (c < 0x20) {
                throw new InvalidJsonException("unescaped control character in a string", pos);
            } else if (c < 0x80) {
                write(c);
                pos++;
            } else {
                copyUtf8Sequence(c);
            }
        }
    }

    private void escape() {
        int escaped = next();
        switch (escaped) {
            case '"' -> writeCodeUnit('"');
            case '\\' -> writeCodeUnit('\\');
            case '/' -> writeCodeUnit('/');
            case 'b' -> writeCodeUnit('\b');
            case 'f' -> writeCodeUnit('\f');
            case 'n' -> writeCodeUnit('\n');
            case 'r' -> writeCodeUnit('\r');
            case 't' -> writeCodeUnit('\t');
            case 'u' -> {
                int at = pos - 2;
                char unit = unicodeEscape();
                if (Character.isHighSurrogate(unit)) {
                    if (pos + 1 < in.length && in[pos] == '\\' && in[pos + 1] == 'u') {
                        pos += 2;
                        char low = unicodeEscape();
                        if (Character.isLowSurrogate(low)) {
                            writeCodePoint(Character.toCodePoint(unit, low));
                            return;
                        }
                    }
                    throw new InvalidJsonException("unpaired UTF-16 surrogate in a string", at);
                }
                if (Character.isLowSurrogate(unit)) {
                    throw new InvalidJsonException("unpaired UTF-16 surrogate in a string", at);
                }
                writeCodeUnit(unit);
            }
            default -> throw new InvalidJsonException("invalid escape: backslash followed by " + printable(escaped), pos - 1);
        }
    }

    private char unicodeEscape() {
        if (pos + 4 > in.length) {
            throw new InvalidJsonException("truncated \\u escape", pos);
        }
        int code = 0;
        for (int i = 0; i < 4; i++) {
            int digit = Character.digit(in[pos + i] & 0xFF, 16);
            if (digit < 0) {
                throw new InvalidJsonException("invalid \\u escape", pos);
            }
            code = code * 16 + digit;
        }
        pos += 4;
        return (char) code;
    }

    /**
     * Copies one multi-byte UTF-8 sequence whose first byte is {@code lead}, rejecting what a strict decoder
     * rejects: stray continuation bytes, overlong forms, encoded surrogates and code points above U+10FFFF.
     */
    private void copyUtf8Sequence(int lead) {
        int continuations;
        int min = 0x80;
        int max = 0xBF;
        if (lead >= 0xC2 && lead <= 0xDF) {
            continuations = 1;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            continuations = 2;
            if (lead == 0xE0) {
                min = 0xA0;
            } else if (lead == 0xED) {
                max = 0x9F;
            }
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            continuations = 3;
            if (lead == 0xF0) {
                min = 0x90;
            } else if (lead == 0xF4) {
                max = 0x8F;
            }
        } else {
            throw notUtf8();
        }
        if (pos + continuations >= in.length) {
            throw notUtf8();
        }
        for (int i = 1; i <= continuations; i++) {
            int c = in[pos + i] & 0xFF;
            if (c < (i == 1 ? min : 0x80) || c > (i == 1 ? max : 0xBF)) {
                throw notUtf8();
            }
        }
        ensureCapacity(continuations + 1);
        System.arraycopy(in, pos, buffer, length, continuations + 1);
        length += continuations + 1;
        pos += continuations + 1;
    }

    private InvalidJsonException notUtf8() {
        return new InvalidJsonException("the body is not valid UTF-8", pos);
    }

    /** Writes one UTF-16 code unit that is not a surrogate, escaped as RFC 8785 requires. */
    private void writeCodeUnit(char c) {
        switch (c) {
            case '"' -> write('\\', '"');
            case '\\' -> write('\\', '\\');
            case '\b' -> write('\\', 'b');
            case '\f' -> write('\\', 'f');
            case '\n' -> write('\\', 'n');
            case '\r' -> write('\\', 'r');
            case '\t' -> write('\\', 't');
            default -> {
                if (c < 0x20) {
                    write('\\', 'u');
                    write('0', '0');
                    write(HEX[c >> 4], HEX[c & 0xF]);
                } else {
                    writeCodePoint(c);
                }
            }
        }
    }

    private void writeCodePoint(int codePoint) {
        ensureCapacity(4);
        if (codePoint < 0x80) {
            buffer[length++] = (byte) codePoint;
        } else if (codePoint < 0x800) {
            buffer[length++] = (byte) (0xC0 | (codePoint >> 6));
            buffer[length++] = (byte) (0x80 | (codePoint & 0x3F));
        } else if (codePoint < 0x10000) {
            buffer[length++] = (byte) (0xE0 | (codePoint >> 12));
            buffer[length++] = (byte) (0x80 | ((codePoint >> 6) & 0x3F));
            buffer[length++] = (byte) (0x80 | (codePoint & 0x3F));
        } else {
            buffer[length++] = (byte) (0xF0 | (codePoint >> 18));
            buffer[length++] = (byte) (0x80 | ((codePoint >> 12) & 0x3F));
            buffer[length++] = (byte) (0x80 | ((codePoint >> 6) & 0x3F));
            buffer[length++] = (byte) (0x80 | (codePoint & 0x3F));
        }
    }

    private void number() {
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
        writeNumber(start, pos);
    }

    /**
     * Writes the number in {@code in[start, end)} (already validated) in canonical form, in time linear in its
     * length: the digits without leading and trailing zeros, and the exponent adjusted to match, printed as
     * {@link BigDecimal#stripTrailingZeros()} followed by {@link BigDecimal#toString()} would print it, without the
     * quadratic cost of {@code stripTrailingZeros} on long inputs.
     */
    private void writeNumber(int start, int end) {
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
            write('0');
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
        ensureCapacity(significant + 16);
        if (negative) {
            buffer[length++] = '-';
        }
        if (scale == 0) {
            writeDigits(0, significant);
        } else if (scale > 0 && adjusted >= -6) {
            if (significant > scale) {
                int point = (int) (significant - scale);
                writeDigits(0, point);
                buffer[length++] = '.';
                writeDigits(point, significant);
            } else {
                buffer[length++] = '0';
                buffer[length++] = '.';
                for (long zeros = scale - significant; zeros > 0; zeros--) {
                    buffer[length++] = '0';
                }
                writeDigits(0, significant);
            }
        } else {
            buffer[length++] = digits[0];
            if (significant > 1) {
                buffer[length++] = '.';
                writeDigits(1, significant);
            }
            buffer[length++] = 'E';
            if (adjusted > 0) {
                buffer[length++] = '+';
            }
            writeExponent(adjusted);
        }
    }

    /** Writes the exponent's sign (if negative) and digits, without the String that Long.toString allocates. */
    private void writeExponent(long exponent) {
        if (exponent < 0) {
            buffer[length++] = '-';
            exponent = -exponent;
        }
        long divisor = 1;
        while (divisor <= exponent / 10) {
            divisor *= 10;
        }
        for (; divisor > 0; divisor /= 10) {
            buffer[length++] = (byte) ('0' + (exponent / divisor) % 10);
        }
    }

    private void writeDigits(int from, int to) {
        System.arraycopy(digits, from, buffer, length, to - from);
        length += to - from;
    }

    private void digits() {
        while (isDigit(peek())) {
            pos++;
        }
    }

    private void literal(String literal) {
        for (int i = 0; i < literal.length(); i++) {
            if (pos + i >= in.length || in[pos + i] != literal.charAt(i)) {
                throw new InvalidJsonException("invalid literal", pos);
            }
        }
        pos += literal.length();
        for (int i = 0; i < literal.length(); i++) {
            write(literal.charAt(i));
        }
    }

    private void expect(char expected) {
        if (next() != expected) {
            throw new InvalidJsonException("expected '" + expected + "'", pos - 1);
        }
    }

    private int next() {
        if (pos >= in.length) {
            throw new InvalidJsonException("unexpected end of input", pos);
        }
        return in[pos++] & 0xFF;
    }

    private int peek() {
        return pos < in.length ? in[pos] & 0xFF : -1;
    }

    private void skipWhitespace() {
        while (pos < in.length) {
            byte c = in[pos];
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private static boolean isDigit(int c) {
        return c >= '0' && c <= '9';
    }

    private static String printable(int c) {
        return c >= 0x20 && c < 0x7F ? "'" + (char) c + "'" : String.format("byte 0x%02X", c);
    }

    private void write(int b) {
        if (length == buffer.length) {
            grow(1);
        }
        buffer[length++] = (byte) b;
    }

    private void write(int b1, int b2) {
        ensureCapacity(2);
        buffer[length++] = (byte) b1;
        buffer[length++] = (byte) b2;
    }

    private void ensureCapacity(int more) {
        if (length + more > buffer.length) {
            grow(more);
        }
    }

    /**
     * Grows the buffer to what the rest of the body will likely need, extrapolated from the part read so far: a
     * body whose canonical form is longer (numbers such as 10, written 1E+1) is so copied about once, not once per
     * step of a fixed growth factor.
     */
    private void grow(int more) {
        long extrapolated = pos == 0 ? 0 : (long) length * in.length / pos + (length >> 4);
        long capacity = Math.max(length + (long) more, Math.max(extrapolated, buffer.length + (buffer.length >> 2)));
        buffer = Arrays.copyOf(buffer, (int) Math.min(capacity, Integer.MAX_VALUE - 8));
    }

    private void ensureObjects() {
        if (objectCount * OBJECT_FIELDS > objects.length) {
            objects = Arrays.copyOf(objects, objects.length * 2);
        }
    }

    private void ensureMembers(int more) {
        if (memberCount + more > memberStarts.length) {
            int capacity = Math.max(memberCount + more, memberStarts.length * 2);
            memberStarts = Arrays.copyOf(memberStarts, capacity);
            memberFirstObjects = Arrays.copyOf(memberFirstObjects, capacity);
            memberOrder = Arrays.copyOf(memberOrder, capacity);
        }
    }

    // ---- sorting member names ----

    /** Merge sort of {@code memberOrder[from, to)} by member name: stable, no allocation, n log n comparisons. */
    private void sort(int from, int to) {
        if (to - from < 2) {
            return;
        }
        int middle = (from + to) >>> 1;
        sort(from, middle);
        sort(middle, to);
        if (compareNames(memberStarts[memberOrder[middle - 1]], memberStarts[memberOrder[middle]]) <= 0) {
            return;
        }
        int left = from;
        int right = middle;
        int k = 0;
        while (left < middle && right < to) {
            if (compareNames(memberStarts[memberOrder[left]], memberStarts[memberOrder[right]]) <= 0) {
                sortScratch[k++] = memberOrder[left++];
            } else {
                sortScratch[k++] = memberOrder[right++];
            }
        }
        while (left < middle) {
            sortScratch[k++] = memberOrder[left++];
        }
        while (right < to) {
            sortScratch[k++] = memberOrder[right++];
        }
        System.arraycopy(sortScratch, 0, memberOrder, from, k);
    }

    /**
     * Compares two canonical member names in {@link #buffer} (each starting at its opening quote) by the UTF-16 code
     * units of their unescaped text, as RFC 8785 sorts. The escapes of the canonical form stand for ASCII characters,
     * compared as those; other bytes are UTF-8, whose byte order is code point order. That differs from UTF-16 order
     * only between a supplementary character (lead byte F0 to F4, a surrogate pair in UTF-16) and U+E000 to U+FFFF
     * (lead byte EE or EF), where UTF-16 puts the surrogates first.
     */
    private int compareNames(int a, int b) {
        int i = a + 1;
        int j = b + 1;
        while (true) {
            int x = buffer[i] & 0xFF;
            int y = buffer[j] & 0xFF;
            boolean endX = x == '"';
            boolean endY = y == '"';
            if (endX || endY) {
                return endX && endY ? 0 : endX ? -1 : 1;
            }
            i++;
            j++;
            if (x == '\\') {
                x = unescaped(i);
                i += escapeLength(i);
            }
            if (y == '\\') {
                y = unescaped(j);
                j += escapeLength(j);
            }
            if (x != y) {
                if (x >= 0xF0 && (y == 0xEE || y == 0xEF)) {
                    return -1;
                }
                if (y >= 0xF0 && (x == 0xEE || x == 0xEF)) {
                    return 1;
                }
                return x - y;
            }
        }
    }

    /** The character a canonical escape stands for; {@code at} is just after its backslash. */
    private int unescaped(int at) {
        return switch (buffer[at]) {
            case '"' -> '"';
            case '\\' -> '\\';
            case 'b' -> '\b';
            case 'f' -> '\f';
            case 'n' -> '\n';
            case 'r' -> '\r';
            case 't' -> '\t';
            default -> Character.digit(buffer[at + 3], 16) * 16 + Character.digit(buffer[at + 4], 16); // u00XX
        };
    }

    private int escapeLength(int at) {
        return buffer[at] == 'u' ? 5 : 1;
    }

    // ---- pass 2: write the result, recorded objects with their members sorted ----

    /** Copies {@code buffer[from, to)}, writing each recorded object in it (from {@code object} on) sorted. */
    private void writeRange(int from, int to, int object) {
        int at = from;
        while (object < objectCount && objects[object * OBJECT_FIELDS + OBJECT_START] < to) {
            int base = object * OBJECT_FIELDS;
            copy(at, objects[base + OBJECT_START]);
            writeObject(object);
            at = objects[base + OBJECT_END];
            object = objects[base + OBJECT_SUBTREE_END];
        }
        copy(at, to);
    }

    private void writeObject(int object) {
        int base = object * OBJECT_FIELDS;
        int count = objects[base + OBJECT_MEMBER_COUNT];
        if (count == IN_ORDER) {
            writeRange(objects[base + OBJECT_START], objects[base + OBJECT_END], object + 1);
            return;
        }
        int first = objects[base + OBJECT_FIRST_MEMBER];
        int last = first + count - 1;
        out[outLength++] = '{';
        for (int k = first; k <= last; k++) {
            if (k > first) {
                out[outLength++] = ',';
            }
            int member = memberOrder[k];
            // A member ends where the comma before the next one, or the closing brace, starts.
            int end = member < last ? memberStarts[member + 1] - 1 : objects[base + OBJECT_END] - 1;
            writeRange(memberStarts[member], end, memberFirstObjects[member]);
        }
        out[outLength++] = '}';
    }

    private void copy(int from, int to) {
        System.arraycopy(buffer, from, out, outLength, to - from);
        outLength += to - from;
    }
}
