package dev.idempotency.spring.metrics;

import dev.idempotency.core.store.memory.InMemoryIdempotencyStore;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The fill level of the {@link InMemoryIdempotencyStore}: {@value #RECORDS}, the records it holds (expired ones
 * included until purged), and {@value #MAX_RECORDS}, its bound. A store at its bound answers new keys with 503.
 */
public final class InMemoryStoreGauges {

    public static final String RECORDS = "idempotency.memory.records";
    public static final String MAX_RECORDS = "idempotency.memory.records.max";

    public InMemoryStoreGauges(InMemoryIdempotencyStore store, MeterRegistry registry) {
        Gauge.builder(RECORDS, store, InMemoryIdempotencyStore::size)
                .description("Records held by the in-memory idempotency store").strongReference(true).register(registry);
        Gauge.builder(MAX_RECORDS, store, InMemoryIdempotencyStore::maxRecords)
                .description("How many records the in-memory idempotency store holds at most").strongReference(true)
                .register(registry);
    }
}
