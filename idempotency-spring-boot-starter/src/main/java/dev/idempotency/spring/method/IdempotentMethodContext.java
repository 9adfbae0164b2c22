package dev.idempotency.spring.method;

import dev.idempotency.core.WorkContext;
import dev.idempotency.spring.Idempotent;
import java.util.Optional;

/**
 * The claim of the {@link Idempotent} bean method running on the current thread: its key, whether it took the key
 * over from a crashed run, its last recovery point, checkpoints and keys derived for foreign systems.
 *
 * <pre>{@code
 * @Idempotent(key = "#event.id", keyScope = "payments")
 * public void settle(PaymentSucceeded event) {
 *     WorkContext claim = IdempotentMethodContext.current();
 *     ledger.book(event, claim.derivedKey("ledger"));
 * }
 * }</pre>
 */
public final class IdempotentMethodContext {

    private static final ThreadLocal<WorkContext> CURRENT = new ThreadLocal<>();

    private IdempotentMethodContext() {}

    /**
     * The running method's claim.
     *
     * @throws IllegalStateException when no {@link Idempotent} bean method runs on this thread, for example in work
     *     the method handed to another thread
     */
    public static WorkContext current() {
        WorkContext context = CURRENT.get();
        if (context == null) {
            throw new IllegalStateException("No @Idempotent bean method is running on this thread");
        }
        return context;
    }

    /** The running method's claim, or empty when no {@link Idempotent} bean method runs on this thread. */
    public static Optional<WorkContext> find() {
        return Optional.ofNullable(CURRENT.get());
    }

    /** Binds {@code context} to this thread and returns what was bound before, for {@link #restore}. */
    static WorkContext bind(WorkContext context) {
        WorkContext previous = CURRENT.get();
        CURRENT.set(context);
        return previous;
    }

    static void restore(WorkContext previous) {
        if (previous == null) {
            CURRENT.remove();
        } else {
            CURRENT.set(previous);
        }
    }
}
