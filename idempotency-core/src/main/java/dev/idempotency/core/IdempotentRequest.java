package dev.idempotency.core;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One call into {@link IdempotencyEngine#execute}: which key, what was asked for, and how long to keep it.
 *
 * @param key scope and key
 * @param fingerprint what the request asked for; a retry with another fingerprint is a mismatch
 * @param ttl how long the stored result is replayed; {@code null} means the engine's default. A TTL shorter than the
 *     engine's lease is raised to the lease, because a record must outlive the claim that created it
 * @param inFlightWait how long to wait for a concurrent request with the same key to finish before reporting
 *     {@link IdempotencyOutcome.InProgress}; zero answers at once
 */
public record IdempotentRequest(IdempotencyKey key, RequestFingerprint fingerprint, @Nullable Duration ttl,
        Duration inFlightWait) {

    public IdempotentRequest {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(fingerprint, "fingerprint");
        if (ttl != null && (ttl.isNegative() || ttl.isZero())) {
            throw new IllegalArgumentException("ttl must be positive, got " + ttl);
        }
        Objects.requireNonNull(inFlightWait, "inFlightWait");
        if (inFlightWait.isNegative()) {
            throw new IllegalArgumentException("inFlightWait must not be negative, got " + inFlightWait);
        }
    }

    public static IdempotentRequest of(IdempotencyKey key, RequestFingerprint fingerprint) {
        return new IdempotentRequest(key, fingerprint, null, Duration.ZERO);
    }

    public static IdempotentRequest of(String scope, String key, RequestFingerprint fingerprint) {
        return of(IdempotencyKey.of(scope, key), fingerprint);
    }

    public IdempotentRequest withTtl(Duration ttl) {
        return new IdempotentRequest(key, fingerprint, ttl, inFlightWait);
    }

    public IdempotentRequest withInFlightWait(Duration inFlightWait) {
        return new IdempotentRequest(key, fingerprint, ttl, inFlightWait);
    }
}
