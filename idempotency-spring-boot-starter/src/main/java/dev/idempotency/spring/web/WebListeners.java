package dev.idempotency.spring.web;

import dev.idempotency.core.internal.GuardedDispatch;
import dev.idempotency.spring.IdempotencyWebListener;
import java.util.List;
import java.util.function.Consumer;

/**
 * The application's {@link IdempotencyWebListener}s, told through core's one listener guard: a listener that throws
 * is logged and does not stop the others.
 */
final class WebListeners {

    private final List<IdempotencyWebListener> listeners;

    WebListeners(List<IdempotencyWebListener> listeners) {
        this.listeners = List.copyOf(listeners);
    }

    void notify(Consumer<IdempotencyWebListener> event) {
        GuardedDispatch.toEach(listeners, event);
    }
}
