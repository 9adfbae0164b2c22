package dev.idempotency.spring.method;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.spring.Idempotent;
import java.util.Objects;

/**
 * Thrown by an {@link Idempotent} bean method whose key was already used for a call with a different
 * {@linkplain Idempotent#fingerprint() fingerprint}: the method did not run and no stored value is returned. Such a
 * message is not a duplicate but a different one under a reused id; redelivering it cannot succeed, so route it to a
 * dead-letter queue rather than requeueing it.
 */
public class IdempotencyKeyReusedException extends RuntimeException {

    private final transient IdempotencyKey key;

    public IdempotencyKeyReusedException(IdempotencyKey key) {
        super("Idempotency key " + Objects.requireNonNull(key, "key")
                + " was already used for a call with a different fingerprint");
        this.key = key;
    }

    public IdempotencyKey key() {
        return key;
    }
}
