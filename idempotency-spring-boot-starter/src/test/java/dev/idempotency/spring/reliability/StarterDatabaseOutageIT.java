package dev.idempotency.spring.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.store.IdempotencyRecord;
import dev.idempotency.core.store.IdempotencyStatus;
import dev.idempotency.core.store.StoredResponse;
import dev.idempotency.jdbc.JdbcIdempotencySchema;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.jdbc.ReliabilityPostgres;
import dev.idempotency.jdbc.reliability.CuttableTcpProxy;
import dev.idempotency.jdbc.reliability.Exchange;
import dev.idempotency.jdbc.reliability.HistoryChecker;
import dev.idempotency.jdbc.reliability.HttpHistory;
import dev.idempotency.jdbc.reliability.OutageLoad;
import dev.idempotency.jdbc.reliability.ReliabilityClient;
import dev.idempotency.jdbc.reliability.ReliabilityPostgresUrls;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Scenario 3, database outage, over the Spring starter with the JDBC store: the application's DataSource reaches
 * PostgreSQL through a {@link CuttableTcpProxy} (Hikari {@code connectionTimeout} 1.5 s; JDBC connect, socket and
 * statement timeouts), client threads send requests with fresh keys, and the proxy cuts every connection for 4 s.
 *
 * <p>Passes when: no handler ran without a claim (each execution first checks, over a direct connection, that the
 * database holds an in-progress record of its key); every request got an answer before the client's 10 s timeout;
 * every request sent and answered inside the outage is 503 problem+json {@code store-unavailable} (fail closed); a
 * request sent after the database returned succeeded within 10 s (recovery time reported); every key used during the
 * outage, and every key that did not end in success, resolves by retries to a success or a replay; and the history
 * passes {@link HistoryChecker}, counting as executions the runs whose result was stored (the starter's listener
 * reports each completion; runs whose completion failed with the database gone answered 201 and ran again after the
 * lease, which the starter documents; they are reported).
 */
class StarterDatabaseOutageIT {

    static final String TABLE = "idempotency_record";
    static final String BODY = "{\"amount\":7}";

    @Test
    void failsClosedDuringTheOutageAndRecoversByItself() throws Exception {
        long started = System.nanoTime();
        try (ReliabilityPostgres db = ReliabilityPostgres.start(2);
                CuttableTcpProxy proxy = new CuttableTcpProxy(db.host(), db.port());
                ReliabilityInstances instances = new ReliabilityInstances()) {
            JdbcIdempotencySchema.create(db.dataSource(), TABLE);
            ReliabilityWebApp.Executions executions = new ReliabilityWebApp.Executions();
            ConcurrentLinkedQueue<String> unclaimed = new ConcurrentLinkedQueue<>();
            executions.checkBeforeRun(key -> {
                if (!claimVisible(db, key)) {
                    unclaimed.add(key);
                }
            });
            String url = ReliabilityPostgresUrls.withTimeouts(db.jdbcUrlVia("127.0.0.1", proxy.port()));
            Map<String, Object> properties = ReliabilityInstances.databaseProperties(db, url, 6);
            properties.put("spring.datasource.hikari.connection-timeout", 1_500);
            properties.put("spring.datasource.hikari.validation-timeout", 1_000);
            properties.put("idempotency.lease", "2s");
            properties.put("reliability.sleep-ms", 20);
            properties.put("reliability.deterministic-body", true);
            URI uri = instances.start("outage", executions, properties).resolve("/work");

            HttpHistory history = new HttpHistory();
            ReliabilityClient client = new ReliabilityClient(history, Duration.ofSeconds(10), null, Map.of("X-User", "client"));
            OutageLoad.Timeline timeline = OutageLoad.run(List.of(uri), client, proxy, 6, Duration.ofSeconds(3),
                    Duration.ofSeconds(6), Duration.ofSeconds(2), Duration.ofSeconds(30), BODY);

            JdbcIdempotencyStore store = JdbcIdempotencyStore.builder(db.dataSource()).tableName(TABLE).build();
            List<Exchange> exchanges = history.exchanges();
            Map<String, StoredResponse> stored = new HashMap<>();
            for (String key : exchanges.stream().map(Exchange::key).collect(Collectors.toSet())) {
                Optional<IdempotencyRecord> record = store.find(IdempotencyKey.of("principal:client", key));
                record.filter(r -> r.status() == IdempotencyStatus.COMPLETED).ifPresent(r -> stored.put(key, r.response()));
            }
            Map<String, Long> storedRuns = new HashMap<>(executions.completions().stream().filter(c -> c.endsWith(" STORED"))
                    .collect(Collectors.groupingBy(c -> c.substring(0, c.indexOf(' ')), Collectors.counting())));
            // A completion whose commit reached the database but whose answer was lost in the cut reports
            // STORE_FAILED although its result is the stored one. Such a run counts when no other run stored the
            // key; two runs that both report STORED still fail the check.
            executions.completions().stream().filter(c -> c.endsWith(" STORE_FAILED"))
                    .map(c -> c.substring(0, c.indexOf(' ')))
                    .filter(stored::containsKey)
                    .forEach(key -> storedRuns.putIfAbsent(key, 1L));
            HistoryChecker.Verdict verdict = HistoryChecker.check(exchanges, stored, storedRuns);
            Map<String, Long> completions = executions.completions().stream()
                    .collect(Collectors.groupingBy(c -> c.substring(c.indexOf(' ') + 1), TreeMap::new, Collectors.counting()));
            List<Exchange> insideOutage = exchanges.stream()
                    .filter(e -> e.startNanos() > timeline.cutAt() && e.endNanos() < timeline.restoredAt()).toList();
            Map<Integer, Long> statuses = exchanges.stream()
                    .collect(Collectors.groupingBy(Exchange::status, TreeMap::new, Collectors.counting()));
            System.out.printf("[reliability] outage (starter): %d requests, statuses %s, %d sent and answered inside "
                            + "the 6 s outage (all 503: %s), slowest answer %d ms, recovery %d ms after the database "
                            + "returned, %d keys used during the outage, %d keys retried, all resolved within %d ms, "
                            + "runs %d by completion %s, runs without a visible claim %d, %s, wall %d s%n",
                    exchanges.size(), statuses, insideOutage.size(),
                    insideOutage.stream().allMatch(e -> e.status() == 503),
                    exchanges.stream().mapToLong(Exchange::millis).max().orElse(0), timeline.recoveryMillis(),
                    timeline.outageKeys().size(), timeline.resolveMillis().size() + timeline.unresolved().size(),
                    timeline.maxResolveMillis(), executions.total(), completions, unclaimed.size(), verdict.summary(),
                    (System.nanoTime() - started) / 1_000_000_000);

            assertThat(unclaimed).as("handlers that ran without a claim in the database").isEmpty();
            assertThat(exchanges).allSatisfy(e -> assertThat(e.status()).as("%s", e).isIn(201, 409, 503));
            assertThat(insideOutage).as("requests inside the outage").isNotEmpty().allSatisfy(e -> {
                assertThat(e.status()).as("%s", e).isEqualTo(503);
                assertThat(e.contentType()).startsWith("application/problem+json");
                assertThat(new String(e.body(), StandardCharsets.UTF_8)).contains("store-unavailable");
            });
            assertThat(timeline.recoveredAt()).as("a request after the restore succeeded").isPositive();
            assertThat(timeline.recoveryMillis()).as("recovery time").isLessThanOrEqualTo(10_000);
            assertThat(timeline.unresolved()).as("keys left stuck").isEmpty();
            assertThat(completions.keySet()).isSubsetOf("STORED", "STORE_FAILED");
            assertThat(verdict.ok()).as(verdict.describe()).isTrue();
        }
    }

    /** Over the test's own, direct connection: the running handler's key has an in-progress record. */
    private static boolean claimVisible(ReliabilityPostgres db, String key) {
        try (Connection connection = db.dataSource().getConnection(); PreparedStatement ps = connection.prepareStatement(
                "SELECT 1 FROM " + TABLE + " WHERE idempotency_key = ? AND status = 'IN_PROGRESS'")) {
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
