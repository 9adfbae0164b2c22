package dev.idempotency.core;

import dev.idempotency.core.internal.GuardedDispatch;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * Fans each event out to several {@link IdempotencyListener}s, in order, guarding each: a listener that throws is
 * logged and skipped, so it can neither break the claim protocol (a claim must be settled whatever a listener does)
 * nor keep the event from the listeners after it. The engine guards the listener it is built with this way.
 */
public final class CompositeIdempotencyListener implements IdempotencyListener {

    private final List<IdempotencyListener> listeners;

    private CompositeIdempotencyListener(List<? extends IdempotencyListener> listeners) {
        this.listeners = List.copyOf(listeners);
    }

    /** A guarded listener delivering to each of {@code listeners}; {@link IdempotencyListener#NONE} when empty. */
    public static IdempotencyListener of(List<? extends IdempotencyListener> listeners) {
        if (listeners.isEmpty()) {
            return IdempotencyListener.NONE;
        }
        if (listeners.size() == 1 && listeners.get(0) instanceof CompositeIdempotencyListener composite) {
            return composite;
        }
        return new CompositeIdempotencyListener(listeners);
    }

    /** {@code listener}, guarded (unless it already is, or is {@link IdempotencyListener#NONE}). */
    public static IdempotencyListener guarding(IdempotencyListener listener) {
        return listener == IdempotencyListener.NONE ? listener : of(List.of(listener));
    }

    private void each(Consumer<IdempotencyListener> event) {
        GuardedDispatch.toEach(listeners, event);
    }

    @Override
    public void executed(IdempotencyKey key, IdempotencyOutcome.Completion completion, boolean takeover) {
        each(listener -> listener.executed(key, completion, takeover));
    }

    @Override
    public void failed(IdempotencyKey key, Throwable failure) {
        each(listener -> listener.failed(key, failure));
    }

    @Override
    public void replayed(IdempotencyKey key) {
        each(listener -> listener.replayed(key));
    }

    @Override
    public void inFlightConflict(IdempotencyKey key) {
        each(listener -> listener.inFlightConflict(key));
    }

    @Override
    public void fingerprintMismatch(IdempotencyKey key) {
        each(listener -> listener.fingerprintMismatch(key));
    }

    @Override
    public void leaseTakeover(IdempotencyKey key) {
        each(listener -> listener.leaseTakeover(key));
    }

    @Override
    public void ownershipLost(IdempotencyKey key) {
        each(listener -> listener.ownershipLost(key));
    }

    @Override
    public void storeError(StoreOperation operation, IdempotencyKey key, RuntimeException error) {
        each(listener -> listener.storeError(operation, key, error));
    }

    @Override
    public void storeLatency(StoreOperation operation, Duration elapsed) {
        each(listener -> listener.storeLatency(operation, elapsed));
    }

    @Override
    public void completionRetried(IdempotencyKey key, StoreOperation operation, int attempt) {
        each(listener -> listener.completionRetried(key, operation, attempt));
    }

    @Override
    public String toString() {
        return "CompositeIdempotencyListener" + listeners;
    }
}
