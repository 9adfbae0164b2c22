package dev.idempotency.spring.internal.json;

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
 *
 * <p>This class parses the structure (objects, arrays, literals); {@code JsonStrings} and {@code JsonNumbers} write
 * canonical strings and numbers, {@code MemberSorter} settles and sorts objects in both passes, and
 * {@code JsonCursor} holds the input position and the buffer they all write to.
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

    private final int maxDepth;
    private final JsonCursor json;
    private final MemberSorter members;
    private final JsonNumbers numbers;

    private JsonCanonicalizer(byte[] utf8, int maxDepth) {
        this.maxDepth = maxDepth;
        this.json = new JsonCursor(utf8);
        this.members = new MemberSorter(json);
        this.numbers = new JsonNumbers(json);
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
        json.skipWhitespace();
        value(0);
        json.skipWhitespace();
        if (json.pos != json.in.length) {
            throw new InvalidJsonException("unexpected content after the JSON value", json.pos);
        }
        return members.result();
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

    /** Parses the value at the cursor; {@code depth} objects and arrays enclose it. */
    private void value(int depth) {
        if (json.pos >= json.in.length) {
            throw new InvalidJsonException("unexpected end of input", json.pos);
        }
        int c = json.in[json.pos] & 0xFF;
        switch (c) {
            case '{' -> object(depth + 1);
            case '[' -> array(depth + 1);
            case '"' -> JsonStrings.copy(json);
            case 't' -> literal("true");
            case 'f' -> literal("false");
            case 'n' -> literal("null");
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    numbers.copy();
                } else {
                    throw new InvalidJsonException("unexpected character " + JsonCursor.printable(c), json.pos);
                }
            }
        }
    }

    private void checkDepth(int depth) {
        if (depth > maxDepth) {
            throw new InvalidJsonException("nested deeper than " + maxDepth, json.pos);
        }
    }

    private void object(int depth) {
        checkDepth(depth);
        int openedAt = json.pos;
        json.pos++;
        int sortedBefore = members.sortedObjects();
        int index = members.openObject();
        json.write('{');
        int firstOpenMember = members.openMemberCount();
        json.skipWhitespace();
        if (json.peek() == '}') {
            json.pos++;
        } else {
            while (true) {
                json.skipWhitespace();
                if (json.peek() != '"') {
                    throw new InvalidJsonException("expected a member name", json.pos);
                }
                if (members.openMemberCount() > firstOpenMember) {
                    json.write(',');
                }
                members.openMember();
                JsonStrings.copy(json);
                json.skipWhitespace();
                json.expect(':');
                json.write(':');
                json.skipWhitespace();
                value(depth);
                json.skipWhitespace();
                int c = json.next();
                if (c == '}') {
                    break;
                }
                if (c != ',') {
                    throw new InvalidJsonException("expected ',' or '}'", json.pos - 1);
                }
            }
        }
        json.write('}');
        members.closeObject(index, firstOpenMember, openedAt, sortedBefore);
    }

    private void array(int depth) {
        checkDepth(depth);
        json.pos++;
        json.write('[');
        json.skipWhitespace();
        if (json.peek() == ']') {
            json.pos++;
            json.write(']');
            return;
        }
        while (true) {
            json.skipWhitespace();
            value(depth);
            json.skipWhitespace();
            int c = json.next();
            if (c == ']') {
                break;
            }
            if (c != ',') {
                throw new InvalidJsonException("expected ',' or ']'", json.pos - 1);
            }
            json.write(',');
        }
        json.write(']');
    }

    private void literal(String literal) {
        for (int i = 0; i < literal.length(); i++) {
            if (json.pos + i >= json.in.length || json.in[json.pos + i] != literal.charAt(i)) {
                throw new InvalidJsonException("invalid literal", json.pos);
            }
        }
        json.pos += literal.length();
        for (int i = 0; i < literal.length(); i++) {
            json.write(literal.charAt(i));
        }
    }
}
