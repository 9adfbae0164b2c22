package dev.idempotency.core.store;

import dev.idempotency.core.IdempotencyKey;
import java.time.Duration;
import java.util.Optional;

/**
 * Where idempotency records live. A store implements a handful of atomic operations; the protocol that
 * combines them lives once, in {@link dev.idempotency.core.IdempotencyEngine}.
 *
 * <p>Every implementation must pass the contract suite {@code IdempotencyStoreContractTest}, published as
 * {@code idempotency-store-tck}. What every implementation guarantees:
 * <ul>
 *   <li><b>One arbiter.</b> {@link #claim} is a single atomic step: of any number of concurrent claims of one key,
 *       at most one is {@link ClaimResult.Acquired}. It never reads first and writes second.</li>
 *   <li><b>Fencing.</b> {@link #complete}, {@link #release}, {@link #renew} and {@link #checkpoint} change a record
 *       only while it is in progress and carries the caller's {@link OwnerToken}. Otherwise they change nothing
 *       and report {@code OwnershipLost}.</li>
 *   <li><b>One clock.</b> Leases and expiry are measured on the store's own clock (the database's, for shared
 *       stores), never on the caller's.</li>
 *   <li><b>Exact round trip.</b> A stored response comes back with the same status, header names, values and order,
 *       and body bytes.</li>
 * </ul>
 * The operator's methods ({@link #inspect}, {@link #deleteCompleted}, {@link #countByStatus}) have defaults that
 * answer "unsupported"; the engine never calls them, so a store may leave them out.
 *
 * <p>Implementations are thread-safe. Failures to reach the backing system surface as
 * {@link IdempotencyStoreException}.
 */
public interface IdempotencyStore {

    /**
     * Atomically claims a key. The claim is {@link ClaimResult.Acquired} when there is no record, when the record
     * has expired (its TTL passed), or when the record is in progress with an expired lease and the same
     * fingerprint (a takeover, which keeps the recovery point). Otherwise the result carries the existing record:
     * {@link ClaimResult.AlreadyCompleted} or {@link ClaimResult.InProgress}. The store does not compare
     * fingerprints of live records; the engine does.
     */
    ClaimResult claim(ClaimRequest request);

    /**
     * Stores the response of the caller's claim and marks it completed, if the caller still owns the key.
     *
     * @param retention how long from now the response is replayed
     */
    CompleteResult complete(IdempotencyKey key, OwnerToken owner, StoredResponse response, Duration retention);

    /** Deletes the caller's in-progress record so the key can be used afresh, if the caller still owns it. */
    ReleaseResult release(IdempotencyKey key, OwnerToken owner);

    /**
     * Extends the caller's lease to {@code lease} from now, if the caller still owns the key. This is the heartbeat
     * that keeps a long-running claim from being taken over. The record's expiry is pushed out too when the new
     * lease would outlive it.
     */
    RenewResult renew(IdempotencyKey key, OwnerToken owner, Duration lease);

    /**
     * Records how far multi-step work got and renews the lease, if the caller still owns the key. A later
     * takeover sees this recovery point in {@link ClaimResult.Acquired#record()}.
     */
    RenewResult checkpoint(IdempotencyKey key, OwnerToken owner, RecoveryPoint recoveryPoint, Duration lease);

    /** Reads a record that has not expired, for callers that wait for an in-flight request to finish. */
    Optional<IdempotencyRecord> find(IdempotencyKey key);

    /**
     * Deletes up to {@code batchSize} expired records (whose TTL passed; a live lease always outlives the TTL, so
     * running work is never purged). It must not block concurrent claims for longer than a single row lock, so
     * callers may run it repeatedly while traffic flows.
     */
    PurgeResult purgeExpired(int batchSize);

    /**
     * Reads a record that has not expired together with the store's clock, for operators: whether an in-progress
     * record's lease has run out is only known on the clock that measures it. One read; changes nothing.
     *
     * @return {@link InspectResult.Found}, {@link InspectResult.NotFound}, or {@link InspectResult.Unsupported} (the
     *     default) when the store does not offer it
     */
    default InspectResult inspect(IdempotencyKey key) {
        return new InspectResult.Unsupported();
    }

    /**
     * Deletes a completed record, for operators who want a key to run afresh (after refunding a charge, say). Fenced
     * like every write: it deletes only a completed record that still carries {@code owner}, the token the operator
     * read, so a record claimed and completed afresh since then is never deleted. One atomic step.
     *
     * @return {@link DeleteResult.Deleted}, {@link DeleteResult.NotDeleted}, or {@link DeleteResult.Unsupported} (the
     *     default) when the store does not offer it
     */
    default DeleteResult deleteCompleted(IdempotencyKey key, OwnerToken owner) {
        return new DeleteResult.Unsupported();
    }

    /**
     * Counts the records that have not expired by status, for operators and dashboards, in one read on the store's
     * clock. Implement it only when the store can count without reading every record into memory; callers ask
     * rarely (on demand, not per request).
     *
     * @return {@link StatusCounts.Counted}, or {@link StatusCounts.Unsupported} (the default)
     */
    default StatusCounts countByStatus() {
        return new StatusCounts.Unsupported();
    }
}
