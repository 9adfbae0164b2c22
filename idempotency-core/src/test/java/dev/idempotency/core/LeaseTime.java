package dev.idempotency.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.core.store.IdempotencyRecord;
import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.core.store.MutableClock;
import java.time.Duration;
import java.time.Instant;

/**
 * Lease time for heartbeat tests, on a {@link MutableClock} rather than the wall clock: the store reads the clock, the
 * engine's heartbeat reads it as its ticker, and only the test moves it. The heartbeat still ticks on real threads
 * (every few milliseconds), so a test moves time a step at a time and waits for a renewal at the new time: however
 * slow the machine, no lease runs out unless the test lets it.
 */
final class LeaseTime {

    /** A lease far longer than any test runs on the wall clock, so only the fake clock can make it run out. */
    static final Duration LEASE = Duration.ofMinutes(10);
    /** A heartbeat interval in real time: short, so that renewals follow the fake clock quickly. */
    static final Duration HEARTBEAT = Duration.ofMillis(20);

    private final MutableClock clock;
    private final IdempotencyStore store;

    LeaseTime(MutableClock clock, IdempotencyStore store) {
        this.clock = clock;
        this.store = store;
    }

    /** An engine on this store whose leases and heartbeats run on the fake clock; the TTL is one lease. */
    IdempotencyEngine.Builder engine() {
        return engine(store);
    }

    /** As {@link #engine()}, on {@code engineStore}: a store in front of this one. */
    IdempotencyEngine.Builder engine(IdempotencyStore engineStore) {
        return IdempotencyEngine.builder(engineStore).clock(clock).ticker(clock::nanoTime).lease(LEASE).heartbeatInterval(HEARTBEAT)
                .defaultTtl(LEASE);
    }

    /**
     * Lets {@code leases} leases' worth of time pass while the claims on {@code renewed} are running: a third of a
     * lease at a time, each step waiting until every one of them has been renewed at the new time.
     */
    void pass(int leases, IdempotencyKey... renewed) throws InterruptedException {
        for (int step = 0; step < leases * 3; step++) {
            clock.advance(LEASE.dividedBy(3));
            for (IdempotencyKey key : renewed) {
                awaitRenewal(key);
            }
        }
    }

    /** Moves the clock on by {@code duration} and waits for nothing: what is not renewed now runs out. */
    void jump(Duration duration) {
        clock.advance(duration);
    }

    private void awaitRenewal(IdempotencyKey key) throws InterruptedException {
        Instant renewedUntil = clock.instant().plus(LEASE);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            IdempotencyRecord record = store.find(key).orElse(null);
            if (record != null && record.leaseExpiresAt() != null && !record.leaseExpiresAt().isBefore(renewedUntil)) {
                return;
            }
            Thread.sleep(2);
        }
        assertThat(store.find(key).map(IdempotencyRecord::leaseExpiresAt))
                .as("the heartbeat renews the claim on %s at the new time", key).contains(renewedUntil);
    }
}
