package dev.idempotency.jdbc.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.IdempotencyOutcome.Completion;
import dev.idempotency.core.store.IdempotencyRecord;
import dev.idempotency.core.store.IdempotencyStatus;
import dev.idempotency.core.store.StoredResponse;
import dev.idempotency.jdbc.JdbcIdempotencySchema;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.jdbc.ReliabilityPostgres;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Scenario 3 on the engine alone, database outage: {@link EngineHttpApp} reaches PostgreSQL through a
 * {@link CuttableTcpProxy}; client threads keep sending requests while the proxy cuts every connection for a few
 * seconds and then lets them through again. The starter's version of this scenario runs the same
 * {@link OutageLoad} over the Spring filter.
 *
 * <p>Passes when: every run of the work ran under a claim the database granted; every request got an answer before
 * the client's timeout; every request sent and answered inside the outage was refused with 503 problem+json (fail
 * closed); a request sent after the restore succeeded within 10 seconds (the recovery time is reported); every key
 * used during the outage, and every key that did not end in success, resolves by retries to a success or a replay;
 * and the history passes {@link HistoryChecker}, counting as executions the runs whose result was stored (a run whose
 * completion failed because the database was gone answers 200 and is run again after its lease: that is the
 * engine's documented behaviour, and such re-runs are reported).
 */
class EngineDatabaseOutageIT {

    static final String TABLE = "idempotency_record";
    static final Duration LEASE = Duration.ofSeconds(2);
    static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(10);
    static final String BODY = "{\"amount\":7}";

    @Test
    void failsClosedDuringTheOutageAndRecoversByItself() throws Exception {
        long started = System.nanoTime();
        try (ReliabilityPostgres db = ReliabilityPostgres.start(2);
                CuttableTcpProxy proxy = new CuttableTcpProxy(db.host(), db.port())) {
            JdbcIdempotencySchema.create(db.dataSource(), TABLE);
            String url = ReliabilityPostgresUrls.withTimeouts(db.jdbcUrlVia("127.0.0.1", proxy.port()));
            HistoryChecker.Verdict verdict;
            OutageLoad.Timeline timeline;
            HttpHistory history = new HttpHistory();
            try (HikariDataSource pool = db.newPool("outage-app", url, 6, 1_500);
                    EngineHttpApp app = new EngineHttpApp(pool, TABLE, LEASE, false)) {
                ReliabilityClient client = new ReliabilityClient(history, CLIENT_TIMEOUT, null);
                timeline = OutageLoad.run(List.of(java.net.URI.create(app.uri() + "?sleep=20")), client, proxy, 6,
                        Duration.ofSeconds(3), Duration.ofSeconds(6), Duration.ofSeconds(2), Duration.ofSeconds(30),
                        BODY);

                JdbcIdempotencyStore store = JdbcIdempotencyStore.builder(db.dataSource()).tableName(TABLE).build();
                Map<String, StoredResponse> stored = new HashMap<>();
                Map<String, String> storedBy = new HashMap<>();
                for (String key : history.exchanges().stream().map(Exchange::key).collect(Collectors.toSet())) {
                    Optional<IdempotencyRecord> record = store.find(IdempotencyKey.of("reliability", key));
                    record.filter(r -> r.status() == IdempotencyStatus.COMPLETED).ifPresent(r -> {
                        stored.put(key, r.response());
                        storedBy.put(key, r.ownerToken().value());
                    });
                }
                // A completion whose commit reached the database but whose answer was lost in the cut reports
                // STORE_FAILED although its result is the stored one; the record's owner token tells them apart.
                Map<String, Long> storedRuns = app.executions().stream()
                        .filter(e -> e.completion() == Completion.STORED
                                || (e.completion() == Completion.STORE_FAILED && e.owner().equals(storedBy.get(e.key()))))
                        .collect(Collectors.groupingBy(EngineHttpApp.Execution::key, Collectors.counting()));
                verdict = HistoryChecker.check(history.exchanges(), stored, storedRuns);

                List<Exchange> exchanges = history.exchanges();
                List<Exchange> insideOutage = exchanges.stream()
                        .filter(e -> e.startNanos() > timeline.cutAt() && e.endNanos() < timeline.restoredAt())
                        .toList();
                Map<Completion, Long> completions = app.executions().stream()
                        .collect(Collectors.groupingBy(EngineHttpApp.Execution::completion, Collectors.counting()));
                Set<String> unclaimed = app.workStarts().stream().map(EngineHttpApp.Execution::owner)
                        .filter(owner -> !app.acquiredOwners().contains(owner)).collect(Collectors.toSet());
                long maxMillis = exchanges.stream().mapToLong(Exchange::millis).max().orElse(0);
                Map<Integer, Long> statuses = exchanges.stream()
                        .collect(Collectors.groupingBy(Exchange::status, java.util.TreeMap::new, Collectors.counting()));
                System.out.printf("[reliability] outage (engine app): %d requests, statuses %s, %d sent and answered "
                                + "inside the 6 s outage (all 503: %s), slowest answer %d ms, recovery %d ms after the "
                                + "database returned, %d keys used during the outage, %d keys retried, all resolved "
                                + "within %d ms, runs by completion %s, runs without a claim %d, %s, wall %d s%n",
                        exchanges.size(), statuses, insideOutage.size(),
                        insideOutage.stream().allMatch(e -> e.status() == 503), maxMillis, timeline.recoveryMillis(),
                        timeline.outageKeys().size(), timeline.resolveMillis().size() + timeline.unresolved().size(),
                        timeline.maxResolveMillis(), completions, unclaimed.size(), verdict.summary(),
                        (System.nanoTime() - started) / 1_000_000_000);

                assertThat(unclaimed).as("work that ran without a claim").isEmpty();
                assertThat(exchanges).as("every request got an answer before the client timeout")
                        .allSatisfy(e -> assertThat(e.status()).as("%s", e).isPositive());
                assertThat(exchanges).allSatisfy(e -> assertThat(e.status()).as("%s", e).isIn(200, 409, 503));
                assertThat(insideOutage).as("requests inside the outage").isNotEmpty()
                        .allSatisfy(e -> assertProblem(e, 503));
                assertThat(exchanges.stream().filter(e -> e.status() >= 400)).allSatisfy(e -> assertProblem(e, e.status()));
                assertThat(timeline.recoveredAt()).as("a request after the restore succeeded").isPositive();
                assertThat(timeline.recoveryMillis()).as("recovery time").isLessThanOrEqualTo(10_000);
                assertThat(timeline.unresolved()).as("keys left stuck").isEmpty();
                assertThat(completions.keySet()).as("completions of the runs")
                        .isSubsetOf(Completion.STORED, Completion.STORE_FAILED);
                assertThat(verdict.ok()).as(verdict.describe()).isTrue();
            }
        }
    }

    static void assertProblem(Exchange exchange, int status) {
        assertThat(exchange.status()).as("%s", exchange).isEqualTo(status);
        assertThat(exchange.contentType()).as("%s", exchange).startsWith("application/problem+json");
        String body = new String(exchange.body(), StandardCharsets.UTF_8);
        assertThat(body).as("%s", exchange).contains("\"status\":" + status).contains("\"type\":");
    }
}
