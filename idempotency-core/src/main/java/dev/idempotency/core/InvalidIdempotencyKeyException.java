package dev.idempotency.core;

/** A client-supplied key was rejected by {@link IdempotencyKeyValidator}. Nothing was claimed or executed. */
public class InvalidIdempotencyKeyException extends IllegalArgumentException {

    /** What was wrong with the key, for callers that map reasons to error codes. */
    public enum Reason {
        EMPTY,
        TOO_LONG,
        NOT_PRINTABLE_ASCII,
        /** The key's transport encoding was broken, for example an unterminated quoted string in a header. */
        MALFORMED
    }

    private final Reason reason;

    public InvalidIdempotencyKeyException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
