package dev.idempotency.spring.autoconfigure;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.IdempotencyListener;
import dev.idempotency.core.IdempotencyOutcome;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/** Fans engine events out to every {@link IdempotencyListener} bean; a failing listener cannot break a request. */
final class CompositeIdempotencyListener implements IdempotencyListener {

    private static final Log log = LogFactory.getLog(CompositeIdempotencyListener.class);

    private final List<IdempotencyListener> listeners;

    CompositeIdempotencyListener(List<IdempotencyListener> listeners) {
        this.listeners = List.copyOf(listeners);
    }

    static IdempotencyListener of(List<IdempotencyListener> listeners) {
        if (listeners.isEmpty()) {
            return IdempotencyListener.NONE;
        }
        return new CompositeIdempotencyListener(listeners);
    }

    private void each(Consumer<IdempotencyListener> event) {
        for (IdempotencyListener listener : listeners) {
            try {
                event.accept(listener);
            } catch (RuntimeException e) {
                log.warn("An IdempotencyListener failed", e);
            }
        }
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
}
