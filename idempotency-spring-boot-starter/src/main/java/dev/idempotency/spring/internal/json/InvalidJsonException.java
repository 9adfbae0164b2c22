package dev.idempotency.spring.internal.json;

/** The bytes are not one well-formed JSON value, so they cannot be canonicalised. */
public class InvalidJsonException extends RuntimeException {

    private final int offset;

    public InvalidJsonException(String message, int offset) {
        super(message + " at offset " + offset);
        this.offset = offset;
    }

    /** Where the parser gave up: an offset in the body's UTF-8 bytes (for another charset, after re-encoding). */
    public int offset() {
        return offset;
    }
}
