package dev.idempotency.spring.web;

import dev.idempotency.spring.IdempotencyWebListener;
import java.util.List;
import java.util.function.Consumer;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/** The application's {@link IdempotencyWebListener}s: a listener that throws is logged and does not stop the others. */
final class WebListeners {

    private static final Log log = LogFactory.getLog(IdempotencyFilter.class);

    private final List<IdempotencyWebListener> listeners;

    WebListeners(List<IdempotencyWebListener> listeners) {
        this.listeners = List.copyOf(listeners);
    }

    void notify(Consumer<IdempotencyWebListener> event) {
        for (IdempotencyWebListener listener : listeners) {
            try {
                event.accept(listener);
            } catch (RuntimeException e) {
                log.warn("An IdempotencyWebListener failed", e);
            }
        }
    }
}
