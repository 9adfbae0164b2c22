package dev.idempotency.core.store.memory;

import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.core.store.IdempotencyStoreContractTest;
import dev.idempotency.core.store.MutableClock;
import java.time.Duration;

/** The in-memory store runs the same contract as the database stores, on a clock the test moves. */
class InMemoryIdempotencyStoreTest extends IdempotencyStoreContractTest {

    private final MutableClock clock = MutableClock.startingNow();

    @Override
    protected IdempotencyStore createStore() {
        return new InMemoryIdempotencyStore(clock);
    }

    @Override
    protected void letTimePass(Duration duration) {
        clock.advance(duration);
    }
}
