package dev.idempotency.jdbc.reliability;

import dev.idempotency.core.IdempotencyKey;
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
import java.util.Optional;

/** Passes every call to a real store; scenarios override single operations to observe or inject faults. */
public class ForwardingIdempotencyStore implements IdempotencyStore {

    private final IdempotencyStore delegate;

    public ForwardingIdempotencyStore(IdempotencyStore delegate) {
        this.delegate = delegate;
    }

    @Override
    public ClaimResult claim(ClaimRequest request) {
        return delegate.claim(request);
    }

    @Override
    public CompleteResult complete(IdempotencyKey key, OwnerToken owner, StoredResponse response, Duration retention) {
        return delegate.complete(key, owner, response, retention);
    }

    @Override
    public ReleaseResult release(IdempotencyKey key, OwnerToken owner) {
        return delegate.release(key, owner);
    }

    @Override
    public RenewResult renew(IdempotencyKey key, OwnerToken owner, Duration lease) {
        return delegate.renew(key, owner, lease);
    }

    @Override
    public RenewResult checkpoint(IdempotencyKey key, OwnerToken owner, RecoveryPoint recoveryPoint, Duration lease) {
        return delegate.checkpoint(key, owner, recoveryPoint, lease);
    }

    @Override
    public Optional<IdempotencyRecord> find(IdempotencyKey key) {
        return delegate.find(key);
    }

    @Override
    public PurgeResult purgeExpired(int batchSize) {
        return delegate.purgeExpired(batchSize);
    }
}
