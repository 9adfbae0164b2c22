package dev.idempotency.core;

import dev.idempotency.core.store.RecoveryPoint;
import java.util.Optional;

/**
 * What idempotent work may know and do about the key it runs for, whoever started it: an {@code @Idempotent}
 * controller method declares it as a parameter, and code that calls {@link IdempotencyEngine} directly gets it as
 * the {@link WorkContext} its work receives (or as the {@link ActiveClaim} of {@link IdempotencyEngine#begin}).
 *
 * <p>It serves work written as <em>atomic phases</em>: each phase changes the application's own rows and ends with a
 * {@linkplain #checkpoint recovery point}, in one transaction where the store supports it (the JDBC store does when
 * the transaction runs on its {@code DataSource}). When the process dies, a retry takes the key over once the lease
 * ran out, starts with {@link #recoveryPoint()} set to the last recovery point that committed, and skips the phases
 * before it. A call to a foreign system passes a {@linkplain #derive derived key}, so that system deduplicates a call
 * repeated after a crash.
 *
 * <pre>{@code
 * String phase = context.recoveryPoint().map(RecoveryPoint::phase).orElse("started");
 * if (phase.equals("started")) {
 *     transactions.executeWithoutResult(tx -> { insertPayment(); context.checkpoint("created", paymentId); });
 * }
 * gateway.charge(amount, context.derive("charge"));
 * }</pre>
 *
 * <p>Implementations are the engine's; an instance belongs to one run of the work and may be used from any thread.
 */
public interface IdempotencyContext {

    /** The key this work runs for, within its scope. */
    IdempotencyKey key();

    /** The namespace of the key: for HTTP, the caller's identity (or what the scope resolver chose). */
    default String scope() {
        return key().scope();
    }

    /**
     * A deterministic key for a call to a foreign system, derived from this key and {@code name}: the same on every
     * run of this key, different for every name. Pass it as the foreign system's idempotency key.
     */
    default String derive(String name) {
        return key().derive(name);
    }

    /**
     * The last recovery point an earlier run of this key committed before it stopped: empty on a first run (and on a
     * retry of a run that recorded none). It is read once, when this run claimed the key; this run's own checkpoints
     * do not change it.
     */
    Optional<RecoveryPoint> recoveryPoint();

    /**
     * Records that the work got as far as {@code name}, with what the next phases need in {@code data}, and renews the
     * lease; fenced by this run's owner token. Inside a transaction the store takes part in (a Spring-managed
     * transaction on the JDBC store's {@code DataSource}), the recovery point commits or rolls back with it.
     *
     * @param name the phase just completed, 1 to {@value RecoveryPoint#MAX_PHASE_LENGTH} characters
     * @param data what a retry needs to resume, for example the id of a row created; at most
     *     {@value RecoveryPoint#MAX_PAYLOAD_LENGTH} characters, empty if nothing
     * @throws OwnershipLostException when another run has taken the key over; inside a transaction the store takes
     *     part in, that transaction is also marked rollback-only, so nothing this run wrote in it commits
     */
    default void checkpoint(String name, String data) {
        checkpoint(new RecoveryPoint(name, data));
    }

    /** {@link #checkpoint(String, String)} with a recovery point built already. */
    void checkpoint(RecoveryPoint recoveryPoint);

    /**
     * Checks with the store that this run still owns the key, before something that cannot be undone, and renews the
     * lease while at it: one fenced write. Inside a transaction the store takes part in, the check holds the key's
     * row until that transaction ends, so no other run can take the key over before it commits.
     *
     * @throws OwnershipLostException when another run has taken the key over (or an earlier check found so)
     */
    void ensureOwned();
}
