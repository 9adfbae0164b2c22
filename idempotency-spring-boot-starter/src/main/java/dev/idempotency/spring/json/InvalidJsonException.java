package dev.idempotency.spring.json;

/** The bytes are not one well-formed JSON value, so they cannot be canonicalised. */
public class InvalidJsonException extends RuntimeException {

    private final int offset;

    public InvalidJsonException(String message, int offset) {
        super(message + " at offset " + offset);
        this.offset = offset;
    }

    /** Character offset where the parser gave up. */
    public int offset() {
        return offset;
    }
}
