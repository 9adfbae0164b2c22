package dev.idempotency.spring.internal.json;

import java.util.Arrays;

/**
 * Where pass 1 stands: the position in the UTF-8 input, and the canonical output written so far ({@link #buffer}, every
 * value canonical, object members in the order they were sent). The parts of the canonicaliser share one cursor and
 * read and write its fields directly, as the one class they were split from did.
 */
final class JsonCursor {

    final byte[] in;
    int pos;

    byte[] buffer;
    int length;

    JsonCursor(byte[] utf8) {
        this.in = utf8;
        // The canonical form is rarely longer than the body (numbers such as 10, written 1E+1, make it grow): a little
        // room spares most bodies a copy of the whole buffer.
        this.buffer = new byte[utf8.length + (utf8.length >> 6) + 16];
    }

    void expect(char expected) {
        if (next() != expected) {
            throw new InvalidJsonException("expected '" + expected + "'", pos - 1);
        }
    }

    int next() {
        if (pos >= in.length) {
            throw new InvalidJsonException("unexpected end of input", pos);
        }
        return in[pos++] & 0xFF;
    }

    int peek() {
        return pos < in.length ? in[pos] & 0xFF : -1;
    }

    void skipWhitespace() {
        while (pos < in.length) {
            byte c = in[pos];
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    static boolean isDigit(int c) {
        return c >= '0' && c <= '9';
    }

    static String printable(int c) {
        return c >= 0x20 && c < 0x7F ? "'" + (char) c + "'" : String.format("byte 0x%02X", c);
    }

    void write(int b) {
        if (length == buffer.length) {
            grow(1);
        }
        buffer[length++] = (byte) b;
    }

    void write(int b1, int b2) {
        ensureCapacity(2);
        buffer[length++] = (byte) b1;
        buffer[length++] = (byte) b2;
    }

    void ensureCapacity(int more) {
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
}
