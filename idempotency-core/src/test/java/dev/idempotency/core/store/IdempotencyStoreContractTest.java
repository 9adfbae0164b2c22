package dev.idempotency.core.store;

import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;

/**
 * The contract every {@link IdempotencyStore} must honour. Extend it, create the store under test, and run it
 * unchanged. Published in the {@code idempotency-core} test-jar.
 */
public abstract class IdempotencyStoreContractTest {

    protected IdempotencyStore store;

    /** A fresh, empty store; called before every test. */
    protected abstract IdempotencyStore createStore();

    /**
     * Lets at least {@code duration} pass on the store's clock. Stores on a real clock (databases) keep the default,
     * which sleeps; stores with an injectable clock advance it.
     */
    protected void letTimePass(Duration duration) throws InterruptedException {
        Thread.sleep(duration.toMillis());
    }

    @BeforeEach
    void createStoreUnderTest() {
        store = createStore();
    }
}
