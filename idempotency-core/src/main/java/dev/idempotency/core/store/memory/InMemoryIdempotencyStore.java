package dev.idempotency.core.store.memory;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.store.ClaimDecision;
import dev.idempotency.core.store.ClaimRequest;
import dev.idempotency.core.store.ClaimResult;
import dev.idempotency.core.store.CompleteResult;
import dev.idempotency.core.store.DeleteResult;
import dev.idempotency.core.store.IdempotencyRecord;
import dev.idempotency.core.store.IdempotencyStatus;
import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.core.store.IdempotencyStoreException;
import dev.idempotency.core.store.InspectResult;
import dev.idempotency.core.store.OwnerToken;
import dev.idempotency.core.store.PurgeResult;
import dev.idempotency.core.store.RecoveryPoint;
import dev.idempotency.core.store.ReleaseResult;
import dev.idempotency.core.store.RenewResult;
import dev.idempotency.core.store.StatusCounts;
import dev.idempotency.core.store.StoredResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A store in a {@link ConcurrentHashMap}, for tests and single-instance applications.
 *
 * <p>Every operation is one atomic {@code compute} on the key's entry, which gives the same guarantees as the
 * database stores within one JVM; inside it, a claim follows {@link ClaimDecision}. Records are lost on restart and are not shared between instances, so two
 * instances behind a load balancer would each execute the same request: use a shared store for that.
 *
 * <p>The store holds at most {@code maxRecords} records ({@value #DEFAULT_MAX_RECORDS} by default), so callers
 * inventing keys cannot exhaust the heap. When it is full, a claim of a new key first purges the expired records; if
 * none has expired, the claim fails with {@link IdempotencyStoreException} and nothing is claimed. A record whose TTL
 * has not passed is never evicted to make room: its key would then run its work a second time. Claims of keys the
 * store already holds (a replay, a takeover, a reclaim of an expired record) work whether it is full or not.
 */
public final class InMemoryIdempotencyStore implements IdempotencyStore {

    /** The bound of the constructors that take none. */
    public static final int DEFAULT_MAX_RECORDS = 100_000;

    private final ConcurrentHashMap<IdempotencyKey, IdempotencyRecord> records = new ConcurrentHashMap<>();
    private final Clock clock;
    private final int maxRecords;
    /** The number of entries in {@link #records}, changed in the same atomic step as the map. */
    private final AtomicInteger count = new AtomicInteger();
    /**
     * No record expires before this instant (epoch milliseconds), or one might: a lower bound that every write lowers
     * and a full purge raises, so a store that is full of live records is not scanned again for every new key.
     */
    private final AtomicLong noExpiryBefore = new AtomicLong(Long.MAX_VALUE);
    private final Object makingRoom = new Object();

    public InMemoryIdempotencyStore() {
        this(Clock.systemUTC());
    }

    public InMemoryIdempotencyStore(Clock clock) {
        this(clock, DEFAULT_MAX_RECORDS);
    }

    public InMemoryIdempotencyStore(int maxRecords) {
        this(Clock.systemUTC(), maxRecords);
    }

    /**
     * @param maxRecords how many records the store holds at most, expired ones included until they are purged
     */
    public InMemoryIdempotencyStore(Clock clock, int maxRecords) {
        this.clock = Objects.requireNonNull(clock, "clock");
        if (maxRecords < 1) {
            throw new IllegalArgumentException("maxRecords must be positive, got " + maxRecords);
        }
        this.maxRecords = maxRecords;
    }

    @Override
    public ClaimResult claim(ClaimRequest request) {
        if (count.get() >= maxRecords && !records.containsKey(request.key())) {
            makeRoom();
        }
        ClaimResult[] result = new ClaimResult[1];
        records.compute(request.key(), (key, existing) -> {
            Instant now = clock.instant();
            ClaimDecision decision = ClaimDecision.decide(existing, request, now);
            if (decision instanceof ClaimDecision.Answer answer) {
                result[0] = answer.result();
                return existing;
            }
            if (decision instanceof ClaimDecision.Insert && !reservePlace()) {
                throw new IdempotencyStoreException("The in-memory idempotency store is full (" + maxRecords
                        + " records, none expired); " + key + " was not claimed. Raise its bound or use a shared store.");
            }
            Instant leaseEnd = now.plus(request.lease());
            IdempotencyRecord acquired = decision instanceof ClaimDecision.Takeover
                    ? new IdempotencyRecord(key, existing.fingerprint(), IdempotencyStatus.IN_PROGRESS,
                            request.ownerToken(), leaseEnd, null, existing.recoveryPoint(), existing.createdAt(),
                            later(existing.expiresAt(), leaseEnd))
                    : new IdempotencyRecord(key, request.fingerprint(), IdempotencyStatus.IN_PROGRESS,
                            request.ownerToken(), leaseEnd, null, null, now, now.plus(request.ttl()));
            result[0] = new ClaimResult.Acquired(acquired, decision instanceof ClaimDecision.Takeover);
            return tracked(acquired);
        });
        return result[0];
    }

    @Override
    public CompleteResult complete(IdempotencyKey key, OwnerToken owner, StoredResponse response, Duration retention) {
        Objects.requireNonNull(response, "response");
        boolean[] done = new boolean[1];
        Instant[] expiresAt = new Instant[1];
        records.computeIfPresent(key, (k, existing) -> {
            if (!ownedBy(existing, owner)) {
                return existing;
            }
            Instant now = clock.instant();
            done[0] = true;
            expiresAt[0] = now.plus(retention);
            return tracked(new IdempotencyRecord(k, existing.fingerprint(), IdempotencyStatus.COMPLETED, owner, null, response,
                    existing.recoveryPoint(), existing.createdAt(), expiresAt[0]));
        });
        return done[0] ? new CompleteResult.Completed(expiresAt[0]) : new CompleteResult.OwnershipLost();
    }

    @Override
    public ReleaseResult release(IdempotencyKey key, OwnerToken owner) {
        boolean[] released = new boolean[1];
        records.computeIfPresent(key, (k, existing) -> {
            if (!ownedBy(existing, owner)) {
                return existing;
            }
            released[0] = true;
            count.decrementAndGet();
            return null;
        });
        return released[0] ? new ReleaseResult.Released() : new ReleaseResult.OwnershipLost();
    }

    @Override
    public RenewResult renew(IdempotencyKey key, OwnerToken owner, Duration lease) {
        return extendLease(key, owner, lease, null);
    }

    @Override
    public RenewResult checkpoint(IdempotencyKey key, OwnerToken owner, RecoveryPoint recoveryPoint, Duration lease) {
        return extendLease(key, owner, lease, Objects.requireNonNull(recoveryPoint, "recoveryPoint"));
    }

    @Override
    public Optional<IdempotencyRecord> find(IdempotencyKey key) {
        IdempotencyRecord record = records.get(key);
        if (record == null || !record.expiresAt().isAfter(clock.instant())) {
            return Optional.empty();
        }
        return Optional.of(record);
    }

    @Override
    public InspectResult inspect(IdempotencyKey key) {
        Instant now = clock.instant();
        IdempotencyRecord record = records.get(key);
        if (record == null || !record.expiresAt().isAfter(now)) {
            return new InspectResult.NotFound();
        }
        return new InspectResult.Found(record, now);
    }

    @Override
    public DeleteResult deleteCompleted(IdempotencyKey key, OwnerToken owner) {
        Objects.requireNonNull(owner, "owner");
        boolean[] deleted = new boolean[1];
        records.computeIfPresent(key, (k, existing) -> {
            if (existing.status() != IdempotencyStatus.COMPLETED || !existing.ownerToken().equals(owner)) {
                return existing;
            }
            deleted[0] = true;
            count.decrementAndGet();
            return null;
        });
        return deleted[0] ? new DeleteResult.Deleted() : new DeleteResult.NotDeleted();
    }

    /** Counts by iterating over every record: the store holds at most {@link #maxRecords()} of them, in memory. */
    @Override
    public StatusCounts countByStatus() {
        Instant now = clock.instant();
        long inProgress = 0;
        long leaseExpired = 0;
        long completed = 0;
        for (IdempotencyRecord record : records.values()) {
            if (!record.expiresAt().isAfter(now)) {
                continue;
            }
            if (record.isCompleted()) {
                completed++;
            } else {
                inProgress++;
                if (!record.leaseExpiresAt().isAfter(now)) {
                    leaseExpired++;
                }
            }
        }
        return new StatusCounts.Counted(inProgress, leaseExpired, completed);
    }

    @Override
    public PurgeResult purgeExpired(int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be positive, got " + batchSize);
        }
        int deleted = 0;
        Instant now = clock.instant();
        for (Iterator<Map.Entry<IdempotencyKey, IdempotencyRecord>> it = records.entrySet().iterator();
                it.hasNext() && deleted < batchSize; ) {
            Map.Entry<IdempotencyKey, IdempotencyRecord> entry = it.next();
            // Conditional remove: a record claimed afresh since the iterator saw it is a different object and stays.
            if (!entry.getValue().expiresAt().isAfter(now) && records.remove(entry.getKey(), entry.getValue())) {
                count.decrementAndGet();
                deleted++;
            }
        }
        return new PurgeResult(deleted, batchSize);
    }

    /** How many records the store holds, expired ones included. */
    public int size() {
        return count.get();
    }

    @Override
    public String toString() {
        return "in-memory store (at most " + maxRecords() + " records, not shared between instances)";
    }

    /** How many records the store holds at most. */
    public int maxRecords() {
        return maxRecords;
    }

    /** Takes a place for a new entry; {@code false} when the store is full. */
    private boolean reservePlace() {
        int current;
        do {
            current = count.get();
            if (current >= maxRecords) {
                return false;
            }
        } while (!count.compareAndSet(current, current + 1));
        return true;
    }

    /** Purges every expired record, unless none can have expired since the last time. One thread scans at a time. */
    private void makeRoom() {
        synchronized (makingRoom) {
            Instant now = clock.instant();
            if (count.get() < maxRecords || now.toEpochMilli() < noExpiryBefore.get()) {
                return;
            }
            // Writes during the scan lower the bound themselves; the scan then lowers it to what it saw.
            noExpiryBefore.set(Long.MAX_VALUE);
            long earliest = Long.MAX_VALUE;
            for (Map.Entry<IdempotencyKey, IdempotencyRecord> entry : records.entrySet()) {
                Instant expiresAt = entry.getValue().expiresAt();
                if (!expiresAt.isAfter(now)) {
                    if (records.remove(entry.getKey(), entry.getValue())) {
                        count.decrementAndGet();
                    }
                } else {
                    earliest = Math.min(earliest, expiresAt.toEpochMilli());
                }
            }
            noExpiryBefore.accumulateAndGet(earliest, Math::min);
        }
    }

    private IdempotencyRecord tracked(IdempotencyRecord record) {
        noExpiryBefore.accumulateAndGet(record.expiresAt().toEpochMilli(), Math::min);
        return record;
    }

    private RenewResult extendLease(IdempotencyKey key, OwnerToken owner, Duration lease, RecoveryPoint recoveryPoint) {
        Instant[] leaseEnd = new Instant[1];
        records.computeIfPresent(key, (k, existing) -> {
            if (!ownedBy(existing, owner)) {
                return existing;
            }
            leaseEnd[0] = clock.instant().plus(lease);
            return tracked(new IdempotencyRecord(k, existing.fingerprint(), IdempotencyStatus.IN_PROGRESS, owner, leaseEnd[0], null,
                    recoveryPoint != null ? recoveryPoint : existing.recoveryPoint(), existing.createdAt(),
                    later(existing.expiresAt(), leaseEnd[0])));
        });
        return leaseEnd[0] != null ? new RenewResult.Renewed(leaseEnd[0]) : new RenewResult.OwnershipLost();
    }

    private static boolean ownedBy(IdempotencyRecord record, OwnerToken owner) {
        return record.status() == IdempotencyStatus.IN_PROGRESS && record.ownerToken().equals(owner);
    }

    private static Instant later(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }
}
