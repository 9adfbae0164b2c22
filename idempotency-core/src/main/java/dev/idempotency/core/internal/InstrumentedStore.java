package dev.idempotency.core.internal;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.IdempotencyListener;
import dev.idempotency.core.IdempotencyListener.StoreOperation;
import dev.idempotency.core.store.ClaimRequest;
import dev.idempotency.core.store.ClaimResult;
import dev.idempotency.core.store.CompleteResult;
import dev.idempotency.core.store.IdempotencyRecord;
import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.core.store.OwnerToken;
import dev.idempotency.core.store.PurgeResult;
import dev.idempotency.core.store.RecoveryPoint;
import dev.idempotency.core.store.ReleaseResult;
import dev.idempotency.core.store.RenewResult;
import dev.idempotency.core.store.StoredResponse;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The engine's view of the store: every call is timed ({@link IdempotencyListener#storeLatency}) and every exception
 * reported ({@link IdempotencyListener#storeError}) before it propagates. The one place where store calls meet the
 * listener, so the engine, its claims and their heartbeats report alike.
 */
public final class InstrumentedStore implements IdempotencyStore {

    private final IdempotencyStore delegate;
    private final IdempotencyListener listener;

    public InstrumentedStore(IdempotencyStore delegate, IdempotencyListener listener) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    @Override
    public ClaimResult claim(ClaimRequest request) {
        return timed(StoreOperation.CLAIM, request.key(), () -> delegate.claim(request));
    }

    @Override
    public CompleteResult complete(IdempotencyKey key, OwnerToken owner, StoredResponse response, Duration retention) {
        return timed(StoreOperation.COMPLETE, key, () -> delegate.complete(key, owner, response, retention));
    }

    @Override
    public ReleaseResult release(IdempotencyKey key, OwnerToken owner) {
        return timed(StoreOperation.RELEASE, key, () -> delegate.release(key, owner));
    }

    @Override
    public RenewResult renew(IdempotencyKey key, OwnerToken owner, Duration lease) {
        return timed(StoreOperation.RENEW, key, () -> delegate.renew(key, owner, lease));
    }

    @Override
    public RenewResult checkpoint(IdempotencyKey key, OwnerToken owner, RecoveryPoint recoveryPoint, Duration lease) {
        return timed(StoreOperation.CHECKPOINT, key, () -> delegate.checkpoint(key, owner, recoveryPoint, lease));
    }

    @Override
    public Optional<IdempotencyRecord> find(IdempotencyKey key) {
        return timed(StoreOperation.FIND, key, () -> delegate.find(key));
    }

    @Override
    public PurgeResult purgeExpired(int batchSize) {
        return timed(StoreOperation.PURGE, null, () -> delegate.purgeExpired(batchSize));
    }

    @Override
    public String toString() {
        return "InstrumentedStore[" + delegate + "]";
    }

    private <R> R timed(StoreOperation operation, IdempotencyKey key, Supplier<R> call) {
        long start = System.nanoTime();
        try {
            return call.get();
        } catch (RuntimeException e) {
            listener.storeError(operation, key, e);
            throw e;
        } finally {
            listener.storeLatency(operation, Duration.ofNanos(System.nanoTime() - start));
        }
    }
}
