package dev.idempotency.core.store.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.RequestFingerprint;
import dev.idempotency.core.store.ClaimRequest;
import dev.idempotency.core.store.ClaimResult;
import dev.idempotency.core.store.IdempotencyStatus;
import dev.idempotency.core.store.IdempotencyStoreException;
import dev.idempotency.core.store.MutableClock;
import dev.idempotency.core.store.OwnerToken;
import dev.idempotency.core.store.StoredResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A full in-memory store refuses new keys rather than evict a record that still guards a key. */
class InMemoryIdempotencyStoreBoundTest {

    private static final RequestFingerprint PAYLOAD = RequestFingerprint.of("amount=100");
    private static final Duration LEASE = Duration.ofSeconds(30);
    private static final Duration TTL = Duration.ofHours(1);
    private static final StoredResponse RESPONSE = new StoredResponse(201, Map.of(), new byte[] {1});

    private final MutableClock clock = MutableClock.startingNow();
    private final InMemoryIdempotencyStore store = new InMemoryIdempotencyStore(clock, 3);

    @Test
    void aFullStoreRefusesANewKeyAndKeepsEveryLiveAndCompletedRecord() {
        ClaimResult.Acquired running = acquire("running");
        ClaimResult.Acquired done = acquire("done");
        store.complete(done.record().key(), done.record().ownerToken(), RESPONSE, TTL);
        acquire("third");

        assertThatThrownBy(() -> store.claim(claim("new")))
                .isInstanceOf(IdempotencyStoreException.class)
                .hasMessageContaining("full");

        assertThat(store.size()).isEqualTo(3);
        assertThat(store.find(key("new"))).isEmpty();
        assertThat(store.find(key("running")).orElseThrow().ownerToken()).isEqualTo(running.record().ownerToken());
        assertThat(store.find(key("done")).orElseThrow().status()).isEqualTo(IdempotencyStatus.COMPLETED);
    }

    @Test
    void expiredRecordsMakeRoomForNewKeys() {
        acquire("old-1");
        acquire("old-2");
        clock.advance(Duration.ofMinutes(30));
        acquire("young");
        clock.advance(Duration.ofMinutes(31));

        assertThat(store.claim(claim("new-1"))).isInstanceOf(ClaimResult.Acquired.class);
        assertThat(store.claim(claim("new-2"))).isInstanceOf(ClaimResult.Acquired.class);

        assertThat(store.size()).isEqualTo(3);
        assertThat(store.find(key("young"))).isPresent();
        assertThatThrownBy(() -> store.claim(claim("new-3"))).isInstanceOf(IdempotencyStoreException.class);
    }

    @Test
    void keysAlreadyInAFullStoreCanStillBeReplayedTakenOverAndReclaimed() {
        ClaimResult.Acquired done = acquire("done");
        store.complete(done.record().key(), done.record().ownerToken(), RESPONSE, TTL);
        acquire("crashed");
        store.claim(new ClaimRequest(key("short"), PAYLOAD, OwnerToken.random(), LEASE, LEASE));
        clock.advance(LEASE.plusSeconds(1));

        assertThat(store.claim(claim("done"))).isInstanceOf(ClaimResult.AlreadyCompleted.class);
        assertThat(store.claim(claim("crashed"))).isInstanceOfSatisfying(ClaimResult.Acquired.class,
                acquired -> assertThat(acquired.takeover()).isTrue());
        // "short" has expired, TTL and all: claiming it again reuses its place.
        assertThat(store.claim(claim("short"))).isInstanceOfSatisfying(ClaimResult.Acquired.class,
                acquired -> assertThat(acquired.takeover()).isFalse());
        assertThat(store.size()).isEqualTo(3);
    }

    @Test
    void aReleasedKeyFreesItsPlace() {
        acquire("a");
        acquire("b");
        ClaimResult.Acquired c = acquire("c");

        store.release(c.record().key(), c.record().ownerToken());

        assertThat(store.size()).isEqualTo(2);
        assertThat(store.claim(claim("d"))).isInstanceOf(ClaimResult.Acquired.class);
    }

    @Test
    void purgingCountsDownToo() {
        for (String name : List.of("a", "b", "c")) {
            acquire(name);
        }
        clock.advance(TTL.plusSeconds(1));

        assertThat(store.purgeExpired(10).deleted()).isEqualTo(3);

        assertThat(store.size()).isZero();
        assertThat(store.maxRecords()).isEqualTo(3);
    }

    @Test
    void rejectsABoundBelowOne() {
        assertThatThrownBy(() -> new InMemoryIdempotencyStore(clock, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    private ClaimResult.Acquired acquire(String name) {
        return (ClaimResult.Acquired) store.claim(claim(name));
    }

    private static ClaimRequest claim(String name) {
        return new ClaimRequest(key(name), PAYLOAD, OwnerToken.random(), LEASE, TTL);
    }

    private static IdempotencyKey key(String name) {
        return IdempotencyKey.of("s", name);
    }
}
