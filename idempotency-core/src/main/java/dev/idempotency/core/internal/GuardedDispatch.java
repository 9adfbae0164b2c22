package dev.idempotency.core.internal;

import java.lang.System.Logger.Level;
import java.util.function.Consumer;

/**
 * Delivers one event to each of a list of listeners, so that a listener that throws neither breaks the protocol nor
 * keeps the event from the listeners after it. The one guard for every listener type: the engine's
 * {@link dev.idempotency.core.CompositeIdempotencyListener} and the Spring starter's web listeners both use it.
 */
public final class GuardedDispatch {

    private static final System.Logger LOG = System.getLogger(GuardedDispatch.class.getName());

    private GuardedDispatch() {}

    /** Calls {@code event} with each listener in order; a listener's {@link RuntimeException} is logged and dropped. */
    public static <L> void toEach(Iterable<? extends L> listeners, Consumer<? super L> event) {
        for (L listener : listeners) {
            try {
                event.accept(listener);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "The listener " + listener.getClass().getName() + " threw; the event is dropped for it", e);
            }
        }
    }
}
