package dev.idempotency.spring.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.store.IdempotencyRecord;
import dev.idempotency.core.store.StoredResponse;
import dev.idempotency.jdbc.JdbcIdempotencySchema;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.jdbc.ReliabilityPostgres;
import dev.idempotency.jdbc.reliability.Exchange;
import dev.idempotency.jdbc.reliability.HistoryChecker;
import dev.idempotency.jdbc.reliability.HttpHistory;
import dev.idempotency.jdbc.reliability.ReliabilityClient;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Scenario 1, several instances and one database: {@value #INSTANCES} Spring Boot instances of
 * {@link ReliabilityWebApp} (separate contexts, each on its own random port, each with its own connection pool) share
 * one PostgreSQL schema. The client sends {@value #DUPLICATES} concurrent duplicates of each of {@value #KEYS} keys,
 * spread over the instances, from {@value #CLIENT_CONCURRENCY} client threads.
 *
 * <p>Passes when exactly {@value #KEYS} executions happened (one per key), every response that did not execute is a
 * 409 problem+json or a replay ({@code Idempotent-Replayed: true}) with the status and body bytes of the original,
 * and the history passes {@link HistoryChecker}.
 */
class SeveralInstancesOneDatabaseIT {

    static final int INSTANCES = 2;
    static final int KEYS = Integer.getInteger("reliability.instances.keys", 1_000);
    static final int DUPLICATES = 32;
    static final int CLIENT_CONCURRENCY = 64;
    static final String TABLE = "idempotency_record";
    static final String BODY = "{\"amount\":42,\"currency\":\"EUR\"}";

    @Test
    void concurrentDuplicatesAcrossInstancesExecuteOncePerKey() throws Exception {
        long started = System.nanoTime();
        try (ReliabilityPostgres db = ReliabilityPostgres.start(2);
                ReliabilityInstances instances = new ReliabilityInstances()) {
            JdbcIdempotencySchema.create(db.dataSource(), TABLE);
            ReliabilityWebApp.Executions executions = new ReliabilityWebApp.Executions();
            Map<String, Object> properties = ReliabilityInstances.databaseProperties(db, db.jdbcUrl(), 8);
            properties.put("reliability.sleep-ms", 20);
            List<URI> uris = new ArrayList<>();
            for (int i = 0; i < INSTANCES; i++) {
                uris.add(instances.start("instance-" + i, executions, properties).resolve("/work"));
            }
            long startup = (System.nanoTime() - started) / 1_000_000;

            HttpHistory history = new HttpHistory();
            ExecutorService clientThreads = Executors.newFixedThreadPool(CLIENT_CONCURRENCY);
            ReliabilityClient client = new ReliabilityClient(history, Duration.ofSeconds(60), null, Map.of("X-User", "client"));
            long loadStart = System.nanoTime();
            List<CompletableFuture<Exchange>> all = new ArrayList<>(KEYS * DUPLICATES);
            for (int k = 0; k < KEYS; k++) {
                String key = "multi-" + k;
                for (int d = 0; d < DUPLICATES; d++) {
                    URI uri = uris.get((k + d) % uris.size());
                    String instance = uri.getAuthority();
                    all.add(CompletableFuture.supplyAsync(() -> client.post(uri, instance, key, BODY), clientThreads));
                }
            }
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();
            long loadMillis = (System.nanoTime() - loadStart) / 1_000_000;
            clientThreads.shutdown();

            JdbcIdempotencyStore store = JdbcIdempotencyStore.builder(db.dataSource()).tableName(TABLE).build();
            Map<String, StoredResponse> stored = new HashMap<>();
            for (int k = 0; k < KEYS; k++) {
                String key = "multi-" + k;
                store.find(IdempotencyKey.of("principal:client", key)).map(IdempotencyRecord::response)
                        .ifPresent(response -> stored.put(key, response));
            }
            Map<String, Long> executionsByKey = executions.runs().stream()
                    .collect(Collectors.groupingBy(ReliabilityWebApp.Executions.Run::key, Collectors.counting()));
            List<Exchange> exchanges = history.exchanges();
            HistoryChecker.Verdict verdict = HistoryChecker.check(exchanges, stored, executionsByKey);
            Map<String, Long> outcomes = exchanges.stream().collect(Collectors.groupingBy(
                    e -> e.status() + (e.replayed() ? " replayed" : ""), TreeMap::new, Collectors.counting()));
            Map<String, Long> executedPerInstance = executions.runs().stream().collect(Collectors.groupingBy(
                    ReliabilityWebApp.Executions.Run::instance, TreeMap::new, Collectors.counting()));
            System.out.printf("[reliability] instances: %d instances, %d keys x %d duplicates = %d requests from %d "
                            + "client threads in %d ms (%.0f req/s); executions %d %s; responses %s; %s; startup %d ms, "
                            + "wall %d s%n",
                    INSTANCES, KEYS, DUPLICATES, exchanges.size(), CLIENT_CONCURRENCY, loadMillis,
                    exchanges.size() * 1000.0 / loadMillis, executions.total(), executedPerInstance, outcomes,
                    verdict.summary(), startup, (System.nanoTime() - started) / 1_000_000_000);

            assertThat(executions.total()).as("executions").isEqualTo(KEYS);
            assertThat(executionsByKey).hasSize(KEYS).allSatisfy((key, count) -> assertThat(count).as(key).isOne());
            Map<String, Exchange> originals = new HashMap<>();
            for (Exchange e : exchanges) {
                if (e.status() == 201 && !e.replayed()) {
                    assertThat(originals.put(e.key(), e)).as("a second original for %s", e.key()).isNull();
                }
            }
            assertThat(originals).hasSize(KEYS);
            for (Exchange e : exchanges) {
                if (e.replayed()) {
                    Exchange original = originals.get(e.key());
                    assertThat(e.status()).as("%s", e).isEqualTo(original.status());
                    assertThat(e.body()).as("%s", e).isEqualTo(original.body());
                } else if (e != originals.get(e.key())) {
                    assertThat(e.status()).as("%s", e).isEqualTo(409);
                    assertThat(e.contentType()).as("%s", e).startsWith("application/problem+json");
                    assertThat(new String(e.body(), StandardCharsets.UTF_8)).contains("key-in-use");
                }
            }
            assertThat(verdict.ok()).as(verdict.describe()).isTrue();
        }
    }
}
