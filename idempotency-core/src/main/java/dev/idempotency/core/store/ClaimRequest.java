package dev.idempotency.core.store;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.RequestFingerprint;
import java.time.Duration;
import java.util.Objects;

/**
 * What a worker asks of {@link IdempotencyStore#claim}.
 *
 * <p>Durations, not instants: the store adds them to its own clock, so application servers with skewed clocks
 * still agree on when a lease or record expires.
 *
 * @param key scope and key
 * @param fingerprint the request's fingerprint, stored on a new record
 * @param ownerToken the token the record will carry if the claim is acquired
 * @param lease how long the claim holds without a heartbeat
 * @param ttl how long the record is kept from now; at least {@code lease}
 */
public record ClaimRequest(
        IdempotencyKey key, RequestFingerprint fingerprint, OwnerToken ownerToken, Duration lease, Duration ttl) {

    public ClaimRequest {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(fingerprint, "fingerprint");
        Objects.requireNonNull(ownerToken, "ownerToken");
        requirePositive(lease, "lease");
        requirePositive(ttl, "ttl");
        if (ttl.compareTo(lease) < 0) {
            throw new IllegalArgumentException("ttl (" + ttl + ") must be at least the lease (" + lease + ")");
        }
    }

    static void requirePositive(Duration duration, String name) {
        Objects.requireNonNull(duration, name);
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + duration);
        }
    }
}
