package dev.idempotency.core.store;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.RequestFingerprint;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Everything a store remembers about one key.
 *
 * <p>Times come from the store's clock (the database clock for JDBC stores), so compare them only with each
 * other, not with the application server's clock. Stores keep the invariant {@code expiresAt >= leaseExpiresAt}
 * while a record is in progress, so a record whose lease is still live is never treated as expired.
 *
 * @param key scope and key
 * @param fingerprint what the first request asked for
 * @param status in progress or completed
 * @param ownerToken the token of the worker that claimed it last
 * @param leaseExpiresAt when an in-progress claim may be taken over; {@code null} once completed
 * @param response the stored response; {@code null} while in progress
 * @param recoveryPoint the last phase multi-step work recorded; {@code null} if none
 * @param createdAt when the key was first claimed
 * @param expiresAt when the record stops counting and the key may be used afresh
 */
public record IdempotencyRecord(
        IdempotencyKey key,
        RequestFingerprint fingerprint,
        IdempotencyStatus status,
        OwnerToken ownerToken,
        @Nullable Instant leaseExpiresAt,
        @Nullable StoredResponse response,
        @Nullable RecoveryPoint recoveryPoint,
        Instant createdAt,
        Instant expiresAt) {

    public IdempotencyRecord {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(fingerprint, "fingerprint");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(ownerToken, "ownerToken");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(expiresAt, "expiresAt");
        if (status == IdempotencyStatus.COMPLETED && response == null) {
            throw new IllegalArgumentException("a completed record carries its response");
        }
        if (status == IdempotencyStatus.IN_PROGRESS && leaseExpiresAt == null) {
            throw new IllegalArgumentException("an in-progress record carries its lease");
        }
    }

    public boolean isCompleted() {
        return status == IdempotencyStatus.COMPLETED;
    }

    public Optional<StoredResponse> storedResponse() {
        return Optional.ofNullable(response);
    }

    public Optional<RecoveryPoint> lastRecoveryPoint() {
        return Optional.ofNullable(recoveryPoint);
    }
}
