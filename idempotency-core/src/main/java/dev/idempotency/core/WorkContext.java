package dev.idempotency.core;

import dev.idempotency.core.store.OwnerToken;
import dev.idempotency.core.store.RecoveryPoint;

/**
 * What running work may know and do about its claim: the {@link IdempotencyContext} every idempotent work sees, plus
 * the claim's owner token and whether it was a takeover, for callers of the engine that want them.
 */
public interface WorkContext extends IdempotencyContext {

    OwnerToken ownerToken();

    /**
     * {@code true} when this run took the key over from a worker whose lease expired, usually after a crash.
     * Side effects of the earlier run may already exist: use {@link #recoveryPoint()} and
     * {@link #derivedKey(String)} to avoid repeating them.
     */
    boolean isTakeover();

    /**
     * A deterministic key for a call to a foreign system, derived from this request's scope and key. Pass it as the
     * foreign system's idempotency key, so a step that runs again after a crash is deduplicated there.
     */
    default String derivedKey(String name) {
        return key().derive(name);
    }

    /**
     * Records progress and renews the lease, fenced by this run's token.
     *
     * @throws OwnershipLostException when another worker has taken the key over; the work should stop
     */
    @Override
    void checkpoint(RecoveryPoint recoveryPoint);

    /** {@code true} once a heartbeat or checkpoint found that another worker took the key over. */
    boolean ownershipLost();
}
