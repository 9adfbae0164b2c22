package dev.idempotency.store.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.RequestFingerprint;
import dev.idempotency.core.store.ClaimRequest;
import dev.idempotency.core.store.ClaimResult;
import dev.idempotency.core.store.CompleteResult;
import dev.idempotency.core.store.DeleteResult;
import dev.idempotency.core.store.IdempotencyRecord;
import dev.idempotency.core.store.IdempotencyStatus;
import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.core.store.InspectResult;
import dev.idempotency.core.store.OwnerToken;
import dev.idempotency.core.store.PurgeResult;
import dev.idempotency.core.store.RecoveryPoint;
import dev.idempotency.core.store.ReleaseResult;
import dev.idempotency.core.store.RenewResult;
import dev.idempotency.core.store.StatusCounts;
import dev.idempotency.core.store.StoredResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The contract every {@link IdempotencyStore} must honour. Extend it, create the store under test in
 * {@link #createStore()}, and run it unchanged. It is published as {@code idempotency-store-tck} so that
 * third-party stores run the same suite with one test dependency, which brings JUnit Jupiter and AssertJ along:
 *
 * <pre>{@code
 * <dependency>
 *   <groupId>dev.idempotency</groupId>
 *   <artifactId>idempotency-store-tck</artifactId>
 *   <scope>test</scope>
 * </dependency>
 * }</pre>
 *
 * <p>Tests that need time to pass call {@link #letTimePass(Duration)}, which sleeps by default. Leases and TTLs in
 * those tests are short (under a second), and the tests only ever wait <em>longer</em> than needed, so a slow
 * machine cannot make them fail; nothing here asserts on how long anything took.
 */
public abstract class IdempotencyStoreContractTest {

    /** Short enough to wait out, long enough that a claim, a call and an assertion fit inside it. */
    protected static final Duration SHORT = Duration.ofMillis(400);
    /** Comfortably longer than any test; a lease or TTL of this length never expires during a test. */
    protected static final Duration LONG = Duration.ofMinutes(10);

    private static final int RACE_THREADS = 64;
    private static final int RACE_KEYS = 200;

    protected IdempotencyStore store;
    private final String scope = "contract-" + UUID.randomUUID();

    /** A fresh, empty store; called before every test. */
    protected abstract IdempotencyStore createStore();

    /**
     * Lets at least {@code duration} pass on the store's clock. Stores on a real clock (databases) keep the default,
     * which sleeps; stores with an injectable clock advance it instead.
     */
    protected void letTimePass(Duration duration) throws InterruptedException {
        Thread.sleep(duration.toMillis());
    }

    /**
     * Whether the store's backend removes expired records by itself (Redis's key expiry), so that
     * {@link IdempotencyStore#purgeExpired} never finds anything and reports 0. Such a store returns {@code true};
     * the purge test then checks that expired records are gone without a purge, that a purge reports 0, and that
     * live records stay. Stores that keep expired records until purged keep the default, {@code false}.
     */
    protected boolean backendExpiresRecords() {
        return false;
    }

    @BeforeEach
    void createStoreUnderTest() {
        store = createStore();
    }

    @AfterEach
    void closeStoreUnderTest() throws Exception {
        if (store instanceof AutoCloseable closeable) {
            closeable.close();
        }
    }

    // --- claim -------------------------------------------------------------------------------------------------

    @Test
    @DisplayName("a first claim acquires a new in-progress record with the caller's token")
    void firstClaimAcquires() {
        ClaimRequest request = claimRequest(key("first"), fingerprint("a"), LONG, LONG);

        ClaimResult result = store.claim(request);

        assertThat(result).isInstanceOf(ClaimResult.Acquired.class);
        ClaimResult.Acquired acquired = (ClaimResult.Acquired) result;
        assertThat(acquired.takeover()).isFalse();
        IdempotencyRecord record = acquired.record();
        assertThat(record.key()).isEqualTo(request.key());
        assertThat(record.fingerprint()).isEqualTo(request.fingerprint());
        assertThat(record.status()).isEqualTo(IdempotencyStatus.IN_PROGRESS);
        assertThat(record.ownerToken()).isEqualTo(request.ownerToken());
        assertThat(record.response()).isNull();
        assertThat(record.recoveryPoint()).isNull();
        assertThat(record.leaseExpiresAt()).isAfter(record.createdAt());
        assertThat(record.expiresAt()).isAfterOrEqualTo(record.leaseExpiresAt());
    }

    @Test
    @DisplayName("a duplicate after completion gets the stored response back byte for byte")
    void duplicateAfterCompletionReturnsStoredResponse() {
        IdempotencyKey key = key("completed");
        OwnerToken owner = acquire(key, fingerprint("a"), LONG);
        StoredResponse response = responseWithRepeatedHeaders(allByteValues());

        assertThat(store.complete(key, owner, response, LONG)).isInstanceOf(CompleteResult.Completed.class);
        ClaimResult duplicate = store.claim(claimRequest(key, fingerprint("a"), LONG, LONG));

        assertThat(duplicate).isInstanceOf(ClaimResult.AlreadyCompleted.class);
        IdempotencyRecord record = duplicate.record();
        assertThat(record.status()).isEqualTo(IdempotencyStatus.COMPLETED);
        assertThat(record.ownerToken()).isEqualTo(owner);
        assertThat(record.response()).isEqualTo(response);
        assertThat(record.response().body()).containsExactly(response.body());
        assertThat(List.copyOf(record.response().headers().keySet())).containsExactlyElementsOf(response.headers().keySet());
        assertThat(record.response().headers().get("Set-Cookie")).containsExactly("a=1", "b=2", "a=1");
    }

    @Test
    @DisplayName("a duplicate while the first is in progress sees the first owner's live claim")
    void duplicateWhileInProgress() {
        IdempotencyKey key = key("in-progress");
        OwnerToken first = acquire(key, fingerprint("a"), LONG);

        ClaimResult duplicate = store.claim(claimRequest(key, fingerprint("a"), LONG, LONG));

        assertThat(duplicate).isInstanceOf(ClaimResult.InProgress.class);
        assertThat(duplicate.record().ownerToken()).isEqualTo(first);
        assertThat(duplicate.record().status()).isEqualTo(IdempotencyStatus.IN_PROGRESS);
    }

    @Test
    @DisplayName("a different payload against a completed record gets the original fingerprint back")
    void fingerprintMismatchAgainstCompletedRecord() {
        IdempotencyKey key = key("mismatch-completed");
        OwnerToken owner = acquire(key, fingerprint("original"), LONG);
        store.complete(key, owner, StoredResponse.of(201, bytes("created")), LONG);

        ClaimResult result = store.claim(claimRequest(key, fingerprint("different"), LONG, LONG));

        assertThat(result).isInstanceOf(ClaimResult.AlreadyCompleted.class);
        assertThat(result.record().fingerprint()).isEqualTo(fingerprint("original"));
        assertThat(result.record().response().body()).isEqualTo(bytes("created"));
    }

    @Test
    @DisplayName("a different payload against an in-progress record gets the original fingerprint back")
    void fingerprintMismatchAgainstInProgressRecord() {
        IdempotencyKey key = key("mismatch-in-progress");
        OwnerToken owner = acquire(key, fingerprint("original"), LONG);

        ClaimResult result = store.claim(claimRequest(key, fingerprint("different"), LONG, LONG));

        assertThat(result).isInstanceOf(ClaimResult.InProgress.class);
        assertThat(result.record().fingerprint()).isEqualTo(fingerprint("original"));
        assertThat(result.record().ownerToken()).isEqualTo(owner);
    }

    @Test
    @DisplayName("an expired lease is not handed to a request with a different payload")
    void expiredLeaseIsNotTakenOverByDifferentPayload() throws Exception {
        IdempotencyKey key = key("mismatch-expired-lease");
        OwnerToken owner = acquireWithLease(key, fingerprint("original"), SHORT);
        letTimePass(SHORT.multipliedBy(2));

        ClaimResult result = store.claim(claimRequest(key, fingerprint("different"), LONG, LONG));

        assertThat(result).isInstanceOf(ClaimResult.InProgress.class);
        assertThat(result.record().fingerprint()).isEqualTo(fingerprint("original"));
        assertThat(result.record().ownerToken()).isEqualTo(owner);
    }

    // --- leases and fencing ------------------------------------------------------------------------------------

    @Test
    @DisplayName("after the lease expires another worker takes over, and the stale owner can no longer touch the record")
    void staleOwnerIsFencedOffAfterTakeover() throws Exception {
        IdempotencyKey key = key("takeover");
        OwnerToken stale = acquireWithLease(key, fingerprint("a"), SHORT);
        letTimePass(SHORT.multipliedBy(2));

        ClaimRequest retry = claimRequest(key, fingerprint("a"), LONG, LONG);
        ClaimResult takeover = store.claim(retry);

        assertThat(takeover).isInstanceOf(ClaimResult.Acquired.class);
        assertThat(((ClaimResult.Acquired) takeover).takeover()).isTrue();
        OwnerToken fresh = takeover.record().ownerToken();
        assertThat(fresh).isEqualTo(retry.ownerToken()).isNotEqualTo(stale);

        assertThat(store.renew(key, stale, LONG)).isInstanceOf(RenewResult.OwnershipLost.class);
        assertThat(store.checkpoint(key, stale, RecoveryPoint.of("stale"), LONG)).isInstanceOf(RenewResult.OwnershipLost.class);
        assertThat(store.complete(key, stale, StoredResponse.of(200, bytes("stale")), LONG))
                .isInstanceOf(CompleteResult.OwnershipLost.class);
        assertThat(store.release(key, stale)).isInstanceOf(ReleaseResult.OwnershipLost.class);

        IdempotencyRecord untouched = store.find(key).orElseThrow();
        assertThat(untouched.ownerToken()).isEqualTo(fresh);
        assertThat(untouched.status()).isEqualTo(IdempotencyStatus.IN_PROGRESS);
        assertThat(untouched.recoveryPoint()).isNull();

        StoredResponse winner = StoredResponse.of(200, bytes("fresh"));
        assertThat(store.complete(key, fresh, winner, LONG)).isInstanceOf(CompleteResult.Completed.class);
        assertThat(store.complete(key, stale, StoredResponse.of(200, bytes("stale")), LONG))
                .isInstanceOf(CompleteResult.OwnershipLost.class);
        assertThat(store.claim(claimRequest(key, fingerprint("a"), LONG, LONG)).record().response()).isEqualTo(winner);
    }

    @Test
    @DisplayName("a takeover keeps the crashed worker's recovery point, creation time and fingerprint")
    void takeoverKeepsRecoveryPoint() throws Exception {
        IdempotencyKey key = key("takeover-recovery");
        OwnerToken crashed = acquireWithLease(key, fingerprint("a"), SHORT);
        RecoveryPoint point = new RecoveryPoint("charge_created", "{\"charge\":\"ch_1\"}");
        assertThat(store.checkpoint(key, crashed, point, SHORT)).isInstanceOf(RenewResult.Renewed.class);
        IdempotencyRecord before = store.find(key).orElseThrow();
        letTimePass(SHORT.multipliedBy(2));

        ClaimResult takeover = store.claim(claimRequest(key, fingerprint("a"), LONG, LONG));

        assertThat(takeover).isInstanceOf(ClaimResult.Acquired.class);
        assertThat(((ClaimResult.Acquired) takeover).takeover()).isTrue();
        assertThat(takeover.record().recoveryPoint()).isEqualTo(point);
        assertThat(takeover.record().createdAt()).isEqualTo(before.createdAt());
        assertThat(takeover.record().fingerprint()).isEqualTo(fingerprint("a"));
    }

    @Test
    @DisplayName("a renewed lease outlives the original lease and even the original TTL")
    void renewKeepsTheClaim() throws Exception {
        IdempotencyKey key = key("renew");
        ClaimRequest first = new ClaimRequest(key, fingerprint("a"), OwnerToken.random(), SHORT, SHORT);
        OwnerToken owner = store.claim(first).record().ownerToken();

        RenewResult renewed = store.renew(key, owner, LONG);
        letTimePass(SHORT.multipliedBy(2));

        assertThat(renewed).isInstanceOf(RenewResult.Renewed.class);
        ClaimResult duplicate = store.claim(claimRequest(key, fingerprint("a"), LONG, LONG));
        assertThat(duplicate).isInstanceOf(ClaimResult.InProgress.class);
        assertThat(duplicate.record().ownerToken()).isEqualTo(owner);
        assertThat(duplicate.record().leaseExpiresAt()).isEqualTo(((RenewResult.Renewed) renewed).leaseExpiresAt());
        assertThat(duplicate.record().expiresAt()).isAfterOrEqualTo(duplicate.record().leaseExpiresAt());
    }

    @Test
    @DisplayName("an owner whose lease expired but whom nobody replaced may still complete")
    void lateCompletionWithoutTakeoverSucceeds() throws Exception {
        IdempotencyKey key = key("late-no-takeover");
        OwnerToken owner = acquireWithLease(key, fingerprint("a"), SHORT);
        letTimePass(SHORT.multipliedBy(2));

        assertThat(store.complete(key, owner, StoredResponse.of(200, bytes("late")), LONG))
                .isInstanceOf(CompleteResult.Completed.class);
        assertThat(store.claim(claimRequest(key, fingerprint("a"), LONG, LONG)))
                .isInstanceOf(ClaimResult.AlreadyCompleted.class);
    }

    @Test
    @DisplayName("a checkpoint records the recovery point and renews the lease")
    void checkpointRecordsRecoveryPoint() {
        IdempotencyKey key = key("checkpoint");
        OwnerToken owner = acquire(key, fingerprint("a"), LONG);
        RecoveryPoint point = new RecoveryPoint("ride_created", "ride-42");

        RenewResult result = store.checkpoint(key, owner, point, LONG);

        assertThat(result).isInstanceOf(RenewResult.Renewed.class);
        IdempotencyRecord record = store.find(key).orElseThrow();
        assertThat(record.recoveryPoint()).isEqualTo(point);
        assertThat(record.leaseExpiresAt()).isEqualTo(((RenewResult.Renewed) result).leaseExpiresAt());
        assertThat(record.status()).isEqualTo(IdempotencyStatus.IN_PROGRESS);
    }

    @Test
    @DisplayName("a completed record cannot be completed, renewed or released again, even by its owner")
    void completedRecordIsFinal() {
        IdempotencyKey key = key("final");
        OwnerToken owner = acquire(key, fingerprint("a"), LONG);
        StoredResponse response = StoredResponse.of(200, bytes("first"));
        store.complete(key, owner, response, LONG);

        assertThat(store.complete(key, owner, StoredResponse.of(200, bytes("second")), LONG))
                .isInstanceOf(CompleteResult.OwnershipLost.class);
        assertThat(store.renew(key, owner, LONG)).isInstanceOf(RenewResult.OwnershipLost.class);
        assertThat(store.release(key, owner)).isInstanceOf(ReleaseResult.OwnershipLost.class);
        assertThat(store.find(key).orElseThrow().response()).isEqualTo(response);
    }

    @Test
    @DisplayName("a released key can be claimed afresh, even with another payload")
    void releaseFreesTheKey() {
        IdempotencyKey key = key("release");
        OwnerToken owner = acquire(key, fingerprint("a"), LONG);

        assertThat(store.release(key, owner)).isInstanceOf(ReleaseResult.Released.class);
        assertThat(store.find(key)).isEmpty();
        assertThat(store.release(key, owner)).isInstanceOf(ReleaseResult.OwnershipLost.class);

        ClaimResult again = store.claim(claimRequest(key, fingerprint("b"), LONG, LONG));
        assertThat(again).isInstanceOf(ClaimResult.Acquired.class);
        assertThat(((ClaimResult.Acquired) again).takeover()).isFalse();
        assertThat(again.record().fingerprint()).isEqualTo(fingerprint("b"));
    }

    @Test
    @DisplayName("operations on a key that was never claimed report lost ownership")
    void operationsOnUnknownKey() {
        IdempotencyKey key = key("unknown");
        OwnerToken nobody = OwnerToken.random();

        assertThat(store.find(key)).isEmpty();
        assertThat(store.complete(key, nobody, StoredResponse.of(200, bytes("x")), LONG))
                .isInstanceOf(CompleteResult.OwnershipLost.class);
        assertThat(store.release(key, nobody)).isInstanceOf(ReleaseResult.OwnershipLost.class);
        assertThat(store.renew(key, nobody, LONG)).isInstanceOf(RenewResult.OwnershipLost.class);
        assertThat(store.find(key)).isEmpty();
    }

    // --- expiry and purge --------------------------------------------------------------------------------------

    @Test
    @DisplayName("after the TTL the key is usable again as a fresh record")
    void expiredKeyIsUsableAgain() throws Exception {
        IdempotencyKey key = key("ttl");
        OwnerToken owner = acquire(key, fingerprint("a"), SHORT);
        store.checkpoint(key, owner, RecoveryPoint.of("old"), SHORT);
        store.complete(key, owner, StoredResponse.of(200, bytes("old")), SHORT);
        letTimePass(SHORT.multipliedBy(2));

        assertThat(store.find(key)).isEmpty();
        ClaimRequest fresh = claimRequest(key, fingerprint("b"), LONG, LONG);
        ClaimResult result = store.claim(fresh);

        assertThat(result).isInstanceOf(ClaimResult.Acquired.class);
        assertThat(((ClaimResult.Acquired) result).takeover()).isFalse();
        assertThat(result.record().fingerprint()).isEqualTo(fingerprint("b"));
        assertThat(result.record().ownerToken()).isEqualTo(fresh.ownerToken());
        assertThat(result.record().response()).isNull();
        assertThat(result.record().recoveryPoint()).isNull();
    }

    @Test
    @DisplayName("purge removes expired records only, in batches (or the backend expired them itself)")
    void purgeRemovesOnlyExpiredRecords() throws Exception {
        List<IdempotencyKey> expiring = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            IdempotencyKey key = key("expiring-" + i);
            OwnerToken owner = acquire(key, fingerprint("a"), SHORT);
            if (i % 2 == 0) {
                store.complete(key, owner, StoredResponse.of(200, bytes("x")), SHORT);
            }
            expiring.add(key);
        }
        IdempotencyKey liveCompleted = key("live-completed");
        store.complete(liveCompleted, acquire(liveCompleted, fingerprint("a"), LONG), StoredResponse.of(200, bytes("x")), LONG);
        IdempotencyKey liveInProgress = key("live-in-progress");
        acquire(liveInProgress, fingerprint("a"), LONG);
        IdempotencyKey renewed = key("renewed");
        OwnerToken renewedOwner = store.claim(new ClaimRequest(renewed, fingerprint("a"), OwnerToken.random(), SHORT, SHORT))
                .record().ownerToken();
        store.renew(renewed, renewedOwner, LONG);
        letTimePass(SHORT.multipliedBy(2));

        if (backendExpiresRecords()) {
            // Nothing is left to purge: the backend removed the expired records itself.
            PurgeResult nothing = store.purgeExpired(2);
            assertThat(nothing.deleted()).isZero();
            assertThat(nothing.mayHaveMore()).isFalse();
        } else {
            PurgeResult firstBatch = store.purgeExpired(2);
            assertThat(firstBatch.deleted()).isEqualTo(2);
            assertThat(firstBatch.mayHaveMore()).isTrue();

            int total = firstBatch.deleted();
            PurgeResult batch;
            do {
                batch = store.purgeExpired(2);
                total += batch.deleted();
            } while (batch.mayHaveMore());

            assertThat(total).isEqualTo(5);
        }
        assertThat(store.purgeExpired(100).deleted()).isZero();
        assertThat(store.find(liveCompleted)).isPresent();
        assertThat(store.find(liveInProgress)).isPresent();
        assertThat(store.find(renewed)).isPresent();
        for (IdempotencyKey key : expiring) {
            assertThat(store.find(key)).isEmpty();
        }
    }

    @Test
    @DisplayName("purge rejects a batch size below one")
    void purgeRejectsInvalidBatchSize() {
        assertThatThrownBy(() -> store.purgeExpired(0)).isInstanceOf(IllegalArgumentException.class);
    }

    // --- scopes, payloads, concurrency -------------------------------------------------------------------------

    @Test
    @DisplayName("the same key in two scopes stays independent")
    void scopesAreIndependent() {
        IdempotencyKey alice = IdempotencyKey.of(scope + "-alice", "shared-key");
        IdempotencyKey bob = IdempotencyKey.of(scope + "-bob", "shared-key");
        OwnerToken aliceOwner = acquire(alice, fingerprint("alice's payload"), LONG);
        store.complete(alice, aliceOwner, StoredResponse.of(201, bytes("alice's payment")), LONG);

        ClaimResult bobsClaim = store.claim(claimRequest(bob, fingerprint("bob's payload"), LONG, LONG));

        assertThat(bobsClaim).isInstanceOf(ClaimResult.Acquired.class);
        assertThat(bobsClaim.record().response()).isNull();
        assertThat(bobsClaim.record().fingerprint()).isEqualTo(fingerprint("bob's payload"));
        assertThat(store.release(bob, aliceOwner)).isInstanceOf(ReleaseResult.OwnershipLost.class);
        store.complete(bob, bobsClaim.record().ownerToken(), StoredResponse.of(201, bytes("bob's payment")), LONG);
        assertThat(store.find(alice).orElseThrow().response().body()).isEqualTo(bytes("alice's payment"));
        assertThat(store.find(bob).orElseThrow().response().body()).isEqualTo(bytes("bob's payment"));
    }

    @Test
    @DisplayName("a body of more than 1 MiB round-trips exactly")
    void largeBodyRoundTrips() {
        IdempotencyKey key = key("large");
        byte[] body = new byte[1024 * 1024 + 17];
        new Random(42).nextBytes(body);
        StoredResponse response = responseWithRepeatedHeaders(body);
        OwnerToken owner = acquire(key, fingerprint("a"), LONG);

        store.complete(key, owner, response, LONG);

        StoredResponse replayed = store.claim(claimRequest(key, fingerprint("a"), LONG, LONG)).record().response();
        assertThat(replayed.bodyLength()).isEqualTo(body.length);
        assertThat(replayed.body()).isEqualTo(body);
        assertThat(replayed).isEqualTo(response);
    }

    @Test
    @DisplayName("an empty body and a response without headers round-trip")
    void emptyResponseRoundTrips() {
        IdempotencyKey key = key("empty");
        OwnerToken owner = acquire(key, fingerprint("a"), LONG);
        StoredResponse empty = StoredResponse.of(204, new byte[0]);

        store.complete(key, owner, empty, LONG);

        assertThat(store.find(key).orElseThrow().response()).isEqualTo(empty);
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    @DisplayName("64 threads racing on one key: exactly one acquires, for each of 200 keys")
    void concurrentClaimsHaveExactlyOneWinner() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(RACE_THREADS);
        try {
            for (int k = 0; k < RACE_KEYS; k++) {
                IdempotencyKey key = key("race-" + k);
                CyclicBarrier start = new CyclicBarrier(RACE_THREADS);
                List<Future<ClaimResult>> results = new ArrayList<>(RACE_THREADS);
                for (int t = 0; t < RACE_THREADS; t++) {
                    results.add(pool.submit(() -> {
                        ClaimRequest request = claimRequest(key, fingerprint("race"), LONG, LONG);
                        start.await(1, TimeUnit.MINUTES);
                        return store.claim(request);
                    }));
                }
                List<ClaimResult> outcomes = new ArrayList<>();
                for (Future<ClaimResult> result : results) {
                    outcomes.add(result.get(2, TimeUnit.MINUTES));
                }
                List<ClaimResult> winners = outcomes.stream().filter(ClaimResult.Acquired.class::isInstance).toList();
                assertThat(winners).as("winners for %s", key).hasSize(1);
                OwnerToken winner = winners.get(0).record().ownerToken();
                assertThat(outcomes)
                        .filteredOn(r -> !(r instanceof ClaimResult.Acquired))
                        .as("losers for %s", key)
                        .hasSize(RACE_THREADS - 1)
                        .allSatisfy(r -> {
                            assertThat(r).isInstanceOf(ClaimResult.InProgress.class);
                            assertThat(r.record().ownerToken()).isEqualTo(winner);
                        });
                assertThat(store.find(key).orElseThrow().ownerToken()).isEqualTo(winner);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    @DisplayName("threads racing to take over one expired lease: exactly one wins, and only it can complete")
    void concurrentTakeoversHaveExactlyOneWinner() throws Exception {
        IdempotencyKey key = key("takeover-race");
        OwnerToken crashed = acquireWithLease(key, fingerprint("a"), SHORT);
        letTimePass(SHORT.multipliedBy(2));
        int threads = 16;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CyclicBarrier start = new CyclicBarrier(threads);
            List<Future<ClaimResult>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                results.add(pool.submit(() -> {
                    ClaimRequest request = claimRequest(key, fingerprint("a"), LONG, LONG);
                    start.await(1, TimeUnit.MINUTES);
                    return store.claim(request);
                }));
            }
            List<OwnerToken> winners = new ArrayList<>();
            for (Future<ClaimResult> result : results) {
                ClaimResult outcome = result.get(1, TimeUnit.MINUTES);
                if (outcome instanceof ClaimResult.Acquired acquired) {
                    assertThat(acquired.takeover()).isTrue();
                    winners.add(acquired.record().ownerToken());
                } else {
                    assertThat(outcome).isInstanceOf(ClaimResult.InProgress.class);
                }
            }
            assertThat(winners).hasSize(1);
            assertThat(store.complete(key, crashed, StoredResponse.of(200, bytes("crashed")), LONG))
                    .isInstanceOf(CompleteResult.OwnershipLost.class);
            assertThat(store.complete(key, winners.get(0), StoredResponse.of(200, bytes("winner")), LONG))
                    .isInstanceOf(CompleteResult.Completed.class);
        } finally {
            pool.shutdownNow();
        }
    }

    // --- operator's methods: inspect, deleteCompleted, countByStatus ----------------------------------------------
    // A store may leave them unsupported; one that supports them must answer exactly.

    @Test
    @DisplayName("inspect shows an in-progress record with a live lease, then with an expired one, on the store's clock")
    void inspectTellsWhetherTheLeaseExpired() throws Exception {
        IdempotencyKey live = key("inspect-live");
        IdempotencyKey crashed = key("inspect-crashed");
        OwnerToken liveOwner = acquireWithLease(live, fingerprint("a"), LONG);
        OwnerToken crashedOwner = acquireWithLease(crashed, fingerprint("b"), SHORT);
        store.checkpoint(crashed, crashedOwner, RecoveryPoint.of("charged"), SHORT);
        letTimePass(SHORT.multipliedBy(2));

        InspectResult liveResult = store.inspect(live);
        if (liveResult instanceof InspectResult.Unsupported) {
            assertThat(store.inspect(crashed)).isInstanceOf(InspectResult.Unsupported.class);
            return;
        }
        InspectResult.Found liveRecord = (InspectResult.Found) liveResult;
        assertThat(liveRecord.record().ownerToken()).isEqualTo(liveOwner);
        assertThat(liveRecord.record().status()).isEqualTo(IdempotencyStatus.IN_PROGRESS);
        assertThat(liveRecord.leaseExpired()).isFalse();
        assertThat(liveRecord.storeTime()).isBefore(liveRecord.record().leaseExpiresAt());

        InspectResult.Found crashedRecord = (InspectResult.Found) store.inspect(crashed);
        assertThat(crashedRecord.record().ownerToken()).isEqualTo(crashedOwner);
        assertThat(crashedRecord.leaseExpired()).isTrue();
        assertThat(crashedRecord.record().recoveryPoint()).isEqualTo(RecoveryPoint.of("charged"));
    }

    @Test
    @DisplayName("inspect shows a completed record with its response, and nothing for an unknown or expired key")
    void inspectCompletedUnknownAndExpired() throws Exception {
        IdempotencyKey done = key("inspect-done");
        OwnerToken owner = acquire(done, fingerprint("a"), LONG);
        StoredResponse response = StoredResponse.of(201, bytes("{\"id\":1}"));
        store.complete(done, owner, response, LONG);
        IdempotencyKey expiring = key("inspect-expiring");
        store.complete(expiring, acquire(expiring, fingerprint("a"), SHORT), StoredResponse.of(200, bytes("x")), SHORT);

        InspectResult result = store.inspect(done);
        if (result instanceof InspectResult.Unsupported) {
            return;
        }
        InspectResult.Found found = (InspectResult.Found) result;
        assertThat(found.record().status()).isEqualTo(IdempotencyStatus.COMPLETED);
        assertThat(found.record().response()).isEqualTo(response);
        assertThat(found.record().fingerprint()).isEqualTo(fingerprint("a"));
        assertThat(found.leaseExpired()).isFalse();
        assertThat(store.inspect(key("inspect-unknown"))).isInstanceOf(InspectResult.NotFound.class);
        letTimePass(SHORT.multipliedBy(2));
        assertThat(store.inspect(expiring)).isInstanceOf(InspectResult.NotFound.class);
    }

    @Test
    @DisplayName("deleteCompleted deletes only a completed record carrying the given owner token")
    void deleteCompletedIsFencedByTheOwnerToken() {
        IdempotencyKey key = key("delete");
        OwnerToken owner = acquire(key, fingerprint("a"), LONG);

        DeleteResult whileInProgress = store.deleteCompleted(key, owner);
        if (whileInProgress instanceof DeleteResult.Unsupported) {
            assertThat(store.find(key)).isPresent();
            return;
        }
        assertThat(whileInProgress).as("an in-progress record is released, never deleted")
                .isInstanceOf(DeleteResult.NotDeleted.class);
        store.complete(key, owner, StoredResponse.of(200, bytes("x")), LONG);
        assertThat(store.deleteCompleted(key, OwnerToken.random())).isInstanceOf(DeleteResult.NotDeleted.class);
        assertThat(store.find(key)).isPresent();

        assertThat(store.deleteCompleted(key, owner)).isInstanceOf(DeleteResult.Deleted.class);
        assertThat(store.find(key)).isEmpty();
        assertThat(store.deleteCompleted(key, owner)).isInstanceOf(DeleteResult.NotDeleted.class);
        ClaimResult again = store.claim(claimRequest(key, fingerprint("b"), LONG, LONG));
        assertThat(again).isInstanceOf(ClaimResult.Acquired.class);
        assertThat(((ClaimResult.Acquired) again).takeover()).isFalse();
    }

    @Test
    @DisplayName("deleteCompleted with an old token leaves a record claimed and completed afresh alone")
    void deleteCompletedNeverHitsANewerRecord() throws Exception {
        IdempotencyKey key = key("delete-newer");
        OwnerToken old = acquire(key, fingerprint("a"), SHORT);
        store.complete(key, old, StoredResponse.of(200, bytes("old")), SHORT);
        letTimePass(SHORT.multipliedBy(2));
        OwnerToken newer = acquire(key, fingerprint("a"), LONG);
        store.complete(key, newer, StoredResponse.of(200, bytes("new")), LONG);

        DeleteResult result = store.deleteCompleted(key, old);
        assertThat(result).isNotInstanceOf(DeleteResult.Deleted.class);
        assertThat(store.find(key).orElseThrow().ownerToken()).isEqualTo(newer);
    }

    @Test
    @DisplayName("countByStatus counts live records by status, in-progress ones with an expired lease apart")
    void countByStatus() throws Exception {
        // Records of earlier tests with short TTLs expire first, so only this test's records change the counts.
        letTimePass(SHORT.multipliedBy(2));
        StatusCounts before = store.countByStatus();
        if (before instanceof StatusCounts.Unsupported) {
            return;
        }
        StatusCounts.Counted start = (StatusCounts.Counted) before;

        acquireWithLease(key("count-running"), fingerprint("a"), LONG);
        acquireWithLease(key("count-crashed"), fingerprint("a"), SHORT);
        IdempotencyKey done = key("count-done");
        store.complete(done, acquire(done, fingerprint("a"), LONG), StoredResponse.of(200, bytes("x")), LONG);
        IdempotencyKey expired = key("count-expired");
        store.complete(expired, acquire(expired, fingerprint("a"), SHORT), StoredResponse.of(200, bytes("x")), SHORT);
        letTimePass(SHORT.multipliedBy(2));

        StatusCounts.Counted counted = (StatusCounts.Counted) store.countByStatus();
        assertThat(counted.inProgress() - start.inProgress()).isEqualTo(2);
        assertThat(counted.leaseExpired() - start.leaseExpired()).isEqualTo(1);
        assertThat(counted.completed() - start.completed()).as("the expired record is not counted").isEqualTo(1);
    }

    // --- checkpoints in the caller's transaction ---------------------------------------------------------------

    /**
     * The contract of a store whose checkpoints join the caller's transaction (a database store): a store that offers
     * it declares a {@code @Nested} class extending this one inside its own contract test, and says how to run a
     * business transaction and write a business row in it. The recovery point must commit and roll back with the row,
     * and a stale owner's checkpoint must leave the transaction unable to commit anything; the claim and the settling
     * calls never join a transaction.
     */
    public abstract class TransactionalCheckpoints {

        /**
         * Runs {@code work} in a business transaction the store's checkpoints join. The transaction commits when
         * {@code work} returns, unless it was marked rollback-only: then it rolls back, and this method may throw. It
         * rolls back and rethrows when {@code work} throws.
         */
        protected abstract void inTransaction(Runnable work);

        /** Writes a business row with this id inside the transaction {@link #inTransaction} runs. */
        protected abstract void insertBusinessRow(String id);

        /** Whether a business row with this id committed, read outside any transaction. */
        protected abstract boolean businessRowCommitted(String id);

        @Test
        @DisplayName("a checkpoint in the caller's transaction commits with the business row")
        void checkpointCommitsWithTheBusinessRow() {
            IdempotencyKey key = key("tx-commit");
            OwnerToken owner = acquire(key, fingerprint("a"), LONG);
            String row = "row-" + UUID.randomUUID();

            inTransaction(() -> {
                insertBusinessRow(row);
                assertThat(store.checkpoint(key, owner, new RecoveryPoint("created", row), LONG))
                        .isInstanceOf(RenewResult.Renewed.class);
                // Renewing in the same transaction neither waits for the row it locked nor fails.
                assertThat(store.renew(key, owner, LONG)).isInstanceOf(RenewResult.Renewed.class);
            });

            assertThat(businessRowCommitted(row)).isTrue();
            assertThat(findRecord(key).orElseThrow().lastRecoveryPoint()).contains(new RecoveryPoint("created", row));
        }

        @Test
        @DisplayName("a checkpoint in the caller's transaction rolls back with the business row")
        void checkpointRollsBackWithTheBusinessRow() {
            IdempotencyKey key = key("tx-rollback");
            OwnerToken owner = acquire(key, fingerprint("a"), LONG);
            store.checkpoint(key, owner, RecoveryPoint.of("created"), LONG);
            String row = "row-" + UUID.randomUUID();

            assertThatThrownBy(() -> inTransaction(() -> {
                insertBusinessRow(row);
                store.checkpoint(key, owner, new RecoveryPoint("charged", row), LONG);
                throw new IllegalStateException("the phase failed after its checkpoint");
            })).hasStackTraceContaining("the phase failed after its checkpoint");

            assertThat(businessRowCommitted(row)).isFalse();
            assertThat(findRecord(key).orElseThrow().lastRecoveryPoint()).contains(RecoveryPoint.of("created"));
            assertThat(store.checkpoint(key, owner, RecoveryPoint.of("retried"), LONG)).isInstanceOf(RenewResult.Renewed.class);
        }

        @Test
        @DisplayName("a stale owner's checkpoint is rejected and nothing of its transaction commits")
        void staleOwnersCheckpointLeavesNothingCommitted() throws InterruptedException {
            IdempotencyKey key = key("tx-stale");
            OwnerToken stale = acquireWithLease(key, fingerprint("a"), SHORT);
            letTimePass(SHORT.multipliedBy(2));
            ClaimResult takeover = store.claim(claimRequest(key, fingerprint("a"), LONG, LONG));
            assertThat(takeover).isInstanceOf(ClaimResult.Acquired.class);
            String row = "row-" + UUID.randomUUID();
            AtomicReference<RenewResult> answer = new AtomicReference<>();

            // The stale run ignores the answer and returns normally: the transaction still must not commit.
            Throwable thrown = catchThrowable(() -> inTransaction(() -> {
                insertBusinessRow(row);
                answer.set(store.checkpoint(key, stale, new RecoveryPoint("charged", row), LONG));
            }));

            assertThat(answer.get()).as("answer to the stale checkpoint (inTransaction threw %s)", thrown)
                    .isInstanceOf(RenewResult.OwnershipLost.class);
            assertThat(businessRowCommitted(row)).isFalse();
            IdempotencyRecord record = findRecord(key).orElseThrow();
            assertThat(record.ownerToken()).isEqualTo(takeover.record().ownerToken());
            assertThat(record.lastRecoveryPoint()).isEmpty();
        }

        @Test
        @DisplayName("a claim and a completion made inside a transaction that rolls back stay committed")
        void claimAndCompletionNeverJoinTheTransaction() {
            IdempotencyKey claimed = key("tx-claim");
            IdempotencyKey completed = key("tx-complete");
            OwnerToken completer = acquire(completed, fingerprint("a"), LONG);

            assertThatThrownBy(() -> inTransaction(() -> {
                insertBusinessRow("row-" + UUID.randomUUID());
                assertThat(store.claim(claimRequest(claimed, fingerprint("a"), LONG, LONG))).isInstanceOf(ClaimResult.Acquired.class);
                assertThat(store.complete(completed, completer, new StoredResponse(201, Map.of(), bytes("done")), LONG))
                        .isInstanceOf(CompleteResult.Completed.class);
                throw new IllegalStateException("business transaction rolled back");
            })).hasStackTraceContaining("business transaction rolled back");

            assertThat(findRecord(claimed).orElseThrow().status()).isEqualTo(IdempotencyStatus.IN_PROGRESS);
            assertThat(findRecord(completed).orElseThrow().status()).isEqualTo(IdempotencyStatus.COMPLETED);
        }
    }

    // --- helpers -----------------------------------------------------------------------------------------------

    protected IdempotencyKey key(String name) {
        return IdempotencyKey.of(scope, name);
    }

    protected static RequestFingerprint fingerprint(String payload) {
        return RequestFingerprint.of(payload);
    }

    protected static ClaimRequest claimRequest(IdempotencyKey key, RequestFingerprint fingerprint, Duration lease, Duration ttl) {
        return new ClaimRequest(key, fingerprint, OwnerToken.random(), lease, ttl);
    }

    /** Claims a key that must be free with a short-lived lease but a long TTL, and returns the owner's token. */
    protected OwnerToken acquireWithLease(IdempotencyKey key, RequestFingerprint fingerprint, Duration lease) {
        ClaimResult result = store.claim(claimRequest(key, fingerprint, lease, LONG));
        assertThat(result).as("claim of %s", key).isInstanceOf(ClaimResult.Acquired.class);
        return result.record().ownerToken();
    }

    /** Claims a key that must be free, with lease and TTL both {@code leaseAndTtl}, and returns the owner's token. */
    protected OwnerToken acquire(IdempotencyKey key, RequestFingerprint fingerprint, Duration leaseAndTtl) {
        ClaimRequest request = claimRequest(key, fingerprint, leaseAndTtl, leaseAndTtl);
        ClaimResult result = store.claim(request);
        assertThat(result).as("claim of %s", key).isInstanceOf(ClaimResult.Acquired.class);
        return result.record().ownerToken();
    }

    protected static byte[] bytes(String text) {
        return text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    private static byte[] allByteValues() {
        byte[] body = new byte[512];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) i;
        }
        return body;
    }

    private static StoredResponse responseWithRepeatedHeaders(byte[] body) {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        headers.put("Content-Type", List.of("application/json; charset=utf-8"));
        headers.put("Set-Cookie", List.of("a=1", "b=2", "a=1"));
        headers.put("Location", List.of("/payments/42"));
        headers.put("X-Unicode", List.of("caf\u00e9 \u2713", ""));
        return new StoredResponse(201, headers, body);
    }

    /** Visible for subclasses that add store-specific tests. */
    protected Optional<IdempotencyRecord> findRecord(IdempotencyKey key) {
        return store.find(key);
    }
}
