package dev.idempotency.core;

import java.util.Objects;

/**
 * The identity of one idempotent operation: a client-supplied key inside a scope.
 *
 * <p>The scope keeps clients apart. Two users who both send {@code Idempotency-Key: 1} get two independent
 * records, so a guessed key never returns another client's stored response. Callers choose the scope: the
 * Spring starter uses the authenticated principal by default, a message consumer might use the queue name.
 *
 * @param scope the namespace the key lives in; never empty, at most {@value #MAX_SCOPE_LENGTH} characters
 * @param key the client-supplied key, already validated by {@link IdempotencyKeyValidator}; at most
 *     {@value #MAX_KEY_LENGTH} characters
 */
public record IdempotencyKey(String scope, String key) {

    /** The longest scope a store must accept. */
    public static final int MAX_SCOPE_LENGTH = 255;

    /** The longest key a store must accept; {@link IdempotencyKeyValidator} may be configured stricter. */
    public static final int MAX_KEY_LENGTH = 255;

    public IdempotencyKey {
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(key, "key");
        if (scope.isEmpty()) {
            throw new IllegalArgumentException("scope must not be empty");
        }
        if (scope.length() > MAX_SCOPE_LENGTH) {
            throw new IllegalArgumentException("scope must be at most " + MAX_SCOPE_LENGTH + " characters");
        }
        if (key.isEmpty()) {
            throw new IllegalArgumentException("key must not be empty");
        }
        if (key.length() > MAX_KEY_LENGTH) {
            throw new IllegalArgumentException("key must be at most " + MAX_KEY_LENGTH + " characters");
        }
    }

    public static IdempotencyKey of(String scope, String key) {
        return new IdempotencyKey(scope, key);
    }

    /**
     * Derives a deterministic key for a call to a foreign system, such as a payment gateway.
     *
     * <p>When a crash forces a step to run twice, both runs pass the same derived key, so the foreign system
     * deduplicates the step the way this library deduplicates its own callers. The result depends only on
     * (scope, key, name), is 64 lowercase hex characters behind a short prefix, and is safe to send to any
     * system that accepts Stripe-style keys.
     *
     * @param name what the step is, for example {@code "charge"}; different names give unrelated keys
     */
    public String derive(String name) {
        Objects.requireNonNull(name, "name");
        return "idem-" + RequestFingerprint.of("downstream-key", scope, key, name).value();
    }

    @Override
    public String toString() {
        return scope + "/" + key;
    }
}
