package dev.idempotency.core;

import dev.idempotency.core.IdempotencyOutcome.Completion;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records the engine's events as short strings, in order, for tests to compare. */
final class RecordingListener implements IdempotencyListener {
    final List<String> events = new CopyOnWriteArrayList<>();

    @Override
    public void executed(IdempotencyKey key, Completion completion, boolean takeover) {
        events.add("executed:" + completion);
    }

    @Override
    public void replayed(IdempotencyKey key) {
        events.add("replayed");
    }

    @Override
    public void failed(IdempotencyKey key, Throwable failure) {
        events.add("failed:" + failure.getClass().getSimpleName());
    }

    @Override
    public void inFlightConflict(IdempotencyKey key) {
        events.add("conflict");
    }

    @Override
    public void fingerprintMismatch(IdempotencyKey key) {
        events.add("mismatch");
    }

    @Override
    public void leaseTakeover(IdempotencyKey key) {
        events.add("takeover");
    }

    @Override
    public void ownershipLost(IdempotencyKey key) {
        events.add("ownership-lost");
    }

    @Override
    public void storeError(StoreOperation operation, IdempotencyKey key, RuntimeException error) {
        events.add("store-error:" + operation);
    }
}
