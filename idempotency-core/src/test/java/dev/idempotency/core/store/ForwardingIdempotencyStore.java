package dev.idempotency.core.store;

import dev.idempotency.core.IdempotencyKey;
import java.time.Duration;
import java.util.Optional;

/**
 * Passes every call to a real store; tests override single operations to observe them or inject faults (a store
 * that is down, a renewal that hangs). Published in the test-jar with the contract suite.
 */
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

    @Override
    public InspectResult inspect(IdempotencyKey key) {
        return delegate.inspect(key);
    }

    @Override
    public DeleteResult deleteCompleted(IdempotencyKey key, OwnerToken owner) {
        return delegate.deleteCompleted(key, owner);
    }

    @Override
    public StatusCounts countByStatus() {
        return delegate.countByStatus();
    }
}
