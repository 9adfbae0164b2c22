package dev.idempotency.benchmarks;

import com.zaxxer.hikari.HikariDataSource;
import dev.idempotency.core.IdempotencyEngine;
import dev.idempotency.core.IdempotencyOutcome;
import dev.idempotency.core.IdempotentRequest;
import dev.idempotency.core.ResultCodecs;
import dev.idempotency.core.store.StoredResponse;
import dev.idempotency.jdbc.JdbcIdempotencySchema;
import dev.idempotency.jdbc.JdbcIdempotencyStore;

/**
 * Counts the database round trips of one request through {@link IdempotencyEngine} on the PostgreSQL store: a new
 * request (design target 2: claim, complete) and a replay (target 1: claim). Prints {@code RESULT} lines for
 * {@code run.sh}: round trips per request, and how they split into statements, commits and borrowed connections.
 *
 * <p>Also checks that detecting the dialect is a one-time cost, by counting a store built without one.
 */
public final class RoundTrips {

    private static final int REQUESTS = 1_000;

    private RoundTrips() {}

    public static void main(String[] args) throws Exception {
        try (HikariDataSource pool = BenchDatabase.pool(2)) {
            CountingDataSource counting = new CountingDataSource(pool);
            BenchDatabase.reset(pool);
            try (IdempotencyEngine engine = IdempotencyEngine.builder(BenchDatabase.store(counting)).build()) {
                // Warm up the driver's statement cache, so the counts are those of a running server.
                for (int i = 0; i < 200; i++) {
                    execute(engine, IdempotentRequest.of(BenchDatabase.newKey(), BenchDatabase.FINGERPRINT));
                }
                counting.reset();
                for (int i = 0; i < REQUESTS; i++) {
                    IdempotencyOutcome<StoredResponse> outcome =
                            execute(engine, IdempotentRequest.of(BenchDatabase.newKey(), BenchDatabase.FINGERPRINT));
                    require(outcome instanceof IdempotencyOutcome.Executed, outcome);
                }
                print("engine-new-request", counting.counts());
                counting.reset();
                for (int i = 0; i < REQUESTS; i++) {
                    IdempotencyOutcome<StoredResponse> outcome =
                            execute(engine, IdempotentRequest.of(BenchDatabase.replayKey(), BenchDatabase.FINGERPRINT));
                    require(outcome instanceof IdempotencyOutcome.Replayed, outcome);
                }
                print("engine-replay", counting.counts());
            }
            counting.reset();
            try (IdempotencyEngine engine = IdempotencyEngine.builder(
                    JdbcIdempotencyStore.builder(counting)
                            .tableName(BenchDatabase.TABLE).build()).build()) {
                execute(engine, IdempotentRequest.of(BenchDatabase.newKey(), BenchDatabase.FINGERPRINT));
                print("first-request-detected-dialect", counting.counts(), 1);
            }
            require(JdbcIdempotencySchema.platform(pool).equals("postgresql"), "not PostgreSQL");
        }
    }

    private static IdempotencyOutcome<StoredResponse> execute(IdempotencyEngine engine, IdempotentRequest request) {
        return engine.execute(request, ResultCodecs.storedResponse(), context -> BenchDatabase.RESPONSE);
    }

    private static void print(String name, CountingDataSource.Counts counts) {
        print(name, counts, REQUESTS);
    }

    private static void print(String name, CountingDataSource.Counts counts, int requests) {
        System.out.printf("RESULT\troundtrips\t%s\t-\t%.2f\tround trips/request (statements %.2f, commits %.2f, "
                + "isolation calls %.3f, connections %.2f)%n", name,
                (double) counts.roundTrips() / requests, (double) counts.statements() / requests,
                (double) counts.commits() / requests, (double) counts.isolation() / requests,
                (double) counts.connections() / requests);
    }

    private static void require(boolean condition, Object what) {
        if (!condition) {
            throw new IllegalStateException("unexpected: " + what);
        }
    }
}
