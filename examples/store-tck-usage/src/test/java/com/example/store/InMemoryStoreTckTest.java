package com.example.store;

import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.core.store.memory.InMemoryIdempotencyStore;
import dev.idempotency.store.tck.IdempotencyStoreContractTest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * Runs the store TCK from outside the library. The store is the core's in-memory one; on a store of your own, return it
 * from {@link #createStore()}. A store on a database's clock keeps the default {@code letTimePass}, which sleeps.
 */
class InMemoryStoreTckTest extends IdempotencyStoreContractTest {

    private final MovableClock clock = new MovableClock();

    @Override
    protected IdempotencyStore createStore() {
        return new InMemoryIdempotencyStore(clock);
    }

    @Override
    protected void letTimePass(Duration duration) {
        clock.advance(duration);
    }

    /** A clock the test moves forward, so that leases and TTLs expire without waiting. */
    private static final class MovableClock extends Clock {

        private volatile Instant now = Instant.now();

        void advance(Duration duration) {
            now = now.plus(duration);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException("the store reads instants only");
        }
    }
}
