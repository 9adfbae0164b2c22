package dev.idempotency.core;

import org.jspecify.annotations.Nullable;

/**
 * Checks a client-supplied key before it reaches a store.
 *
 * <p>A valid key is non-empty, at most {@code maxLength} characters, and made only of printable ASCII
 * ({@code 0x20}-{@code 0x7E}). Stripe allows 255 characters, which is the default here. Rejecting control
 * characters and non-ASCII keeps keys safe to log, to put in headers, and to compare byte for byte in any
 * database collation.
 */
public final class IdempotencyKeyValidator {

    /** Stripe's limit, and the default. */
    public static final int DEFAULT_MAX_LENGTH = 255;

    private final int maxLength;

    public IdempotencyKeyValidator() {
        this(DEFAULT_MAX_LENGTH);
    }

    /**
     * @param maxLength the longest key accepted; between 1 and {@value #DEFAULT_MAX_LENGTH}, the width of the key
     *     column in the shipped schemas
     */
    public IdempotencyKeyValidator(int maxLength) {
        if (maxLength < 1 || maxLength > DEFAULT_MAX_LENGTH) {
            throw new IllegalArgumentException("maxLength must be between 1 and " + DEFAULT_MAX_LENGTH + ", got " + maxLength);
        }
        this.maxLength = maxLength;
    }

    public int maxLength() {
        return maxLength;
    }

    /**
     * Returns the key unchanged when it is valid.
     *
     * @throws InvalidIdempotencyKeyException naming what is wrong with it
     */
    public String validate(@Nullable String key) {
        if (key == null || key.isEmpty()) {
            throw new InvalidIdempotencyKeyException(InvalidIdempotencyKeyException.Reason.EMPTY,
                    "The idempotency key is empty.");
        }
        if (key.length() > maxLength) {
            throw new InvalidIdempotencyKeyException(InvalidIdempotencyKeyException.Reason.TOO_LONG,
                    "The idempotency key has " + key.length() + " characters; at most " + maxLength + " are allowed.");
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c < 0x20 || c > 0x7E) {
                throw new InvalidIdempotencyKeyException(InvalidIdempotencyKeyException.Reason.NOT_PRINTABLE_ASCII,
                        "The idempotency key may contain only printable ASCII characters; position " + i
                                + " holds U+" + String.format("%04X", (int) c) + ".");
            }
        }
        return key;
    }
}
