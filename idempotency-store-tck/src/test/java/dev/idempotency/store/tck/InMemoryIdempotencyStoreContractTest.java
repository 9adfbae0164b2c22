package dev.idempotency.store.tck;

import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.core.store.MutableClock;
import dev.idempotency.core.store.memory.InMemoryIdempotencyStore;
import java.time.Duration;

/**
 * The in-memory store runs the same contract as the database stores, on a clock the test moves. It lives here rather
 * than in the core, whose tests cannot depend on the kit that depends on the core.
 */
class InMemoryIdempotencyStoreContractTest extends IdempotencyStoreContractTest {

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
