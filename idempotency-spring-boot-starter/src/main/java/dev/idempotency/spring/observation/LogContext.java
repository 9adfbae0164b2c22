package dev.idempotency.spring.observation;

import org.slf4j.MDC;
import org.springframework.util.ClassUtils;

/**
 * Puts the key's hash and the claim's outcome into the SLF4J MDC while a protected handler or {@code @Idempotent}
 * method runs, so its log lines can be matched with each other, with the request's spans and with the actuator
 * endpoint. Each part of a run (the request thread, an asynchronous dispatch, a {@code Callable}'s thread) puts them in
 * and takes them out again, so no pooled thread keeps them for the next request. Without SLF4J this does nothing.
 */
public final class LogContext implements AutoCloseable {

    /** MDC entry: {@link IdempotencyObservations#keyHash} of the scope and key. */
    public static final String KEY_HASH = "idempotencyKeyHash";
    /** MDC entry: {@code acquired} or {@code takeover}. */
    public static final String OUTCOME = "idempotencyOutcome";

    private static final boolean MDC_PRESENT = ClassUtils.isPresent("org.slf4j.MDC", LogContext.class.getClassLoader());
    private static final LogContext NONE = new LogContext(null, null, false);

    private final String previousKeyHash;
    private final String previousOutcome;
    private final boolean restore;

    private LogContext(String previousKeyHash, String previousOutcome, boolean restore) {
        this.previousKeyHash = previousKeyHash;
        this.previousOutcome = previousOutcome;
        this.restore = restore;
    }

    /** Puts the entries on this thread until {@link #close}, which restores what was there before. */
    public static LogContext put(String keyHash, String outcome) {
        if (!MDC_PRESENT) {
            return NONE;
        }
        LogContext context = new LogContext(MDC.get(KEY_HASH), MDC.get(OUTCOME), true);
        MDC.put(KEY_HASH, keyHash);
        MDC.put(OUTCOME, outcome);
        return context;
    }

    @Override
    public void close() {
        if (!restore) {
            return;
        }
        restore(KEY_HASH, previousKeyHash);
        restore(OUTCOME, previousOutcome);
    }

    private static void restore(String name, String previous) {
        if (previous == null) {
            MDC.remove(name);
        } else {
            MDC.put(name, previous);
        }
    }
}
