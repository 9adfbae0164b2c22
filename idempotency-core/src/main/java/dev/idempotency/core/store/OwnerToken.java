package dev.idempotency.core.store;

import java.util.Objects;
import java.util.UUID;

/**
 * Proof that a worker holds a claim. Stores issue a fresh token with every successful claim, and complete,
 * release, renew and checkpoint succeed only with the current token. A worker whose lease expired and whose key
 * was taken over holds a stale token, so it can no longer touch the new owner's record.
 *
 * @param value an opaque string of at most 64 characters
 */
public record OwnerToken(String value) {

    public OwnerToken {
        Objects.requireNonNull(value, "value");
        if (value.isEmpty() || value.length() > 64) {
            throw new IllegalArgumentException("an owner token has 1 to 64 characters");
        }
    }

    /** A new random token; 122 random bits make a collision between two claims practically impossible. */
    public static OwnerToken random() {
        return new OwnerToken(UUID.randomUUID().toString());
    }

    @Override
    public String toString() {
        return value;
    }
}
