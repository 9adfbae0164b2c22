package dev.idempotency.jdbc.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.store.IdempotencyRecord;
import dev.idempotency.core.store.IdempotencyStatus;
import dev.idempotency.core.store.StoredResponse;
import dev.idempotency.jdbc.JdbcIdempotencySchema;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.jdbc.ReliabilityPostgres;
import java.net.URI;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Scenario 2, crash injection: the application ({@link EngineHttpApp} in a JVM of its own) is killed with SIGKILL
 * at each phase of a request, restarted, and the request retried.
 *
 * <p>Each cycle sends one request per phase to the running instance, each blocking at its phase
 * ({@code after-claim}, {@code in-handler}, {@code after-effect}, {@code after-completion}), waits until all four
 * printed their phase marker, and kills the process. The restarted instance was started in advance (a standby, so a
 * JVM start does not eat into the lease), and the test then:
 * <ol>
 *   <li>retries each key at once: while the dead process's lease is live (checked on the database clock) the
 *       answer must be 409; a key whose completion had committed must replay at once;</li>
 *   <li>waits until the leases expired (on the database clock) and retries: the work must complete by a takeover,
 *       or replay if the completion had committed;</li>
 *   <li>retries again: a replay equal to the response of step 2.</li>
 * </ol>
 * Passes when every key has exactly one row in {@code side_effects} (the side effect is deduplicated by the key
 * {@code IdempotencyKey.derive("effect")}), the re-executions are exactly those the phase implies, and the recorded
 * history passes {@link HistoryChecker}.
 */
class CrashInjectionIT {

    static final int CYCLES = Integer.getInteger("reliability.crash.cycles", 20);
    static final Duration LEASE = Duration.ofSeconds(2);
    static final String TABLE = "idempotency_record";
    static final String BODY = "{\"amount\":1}";
    /** A retry answered with less than this left on the lease may legitimately race the expiry. */
    static final Duration LEASE_MARGIN = Duration.ofMillis(300);

    @Test
    void killedAtEveryPhaseEachKeyHasExactlyOneSideEffect() throws Exception {
        long started = System.nanoTime();
        try (ReliabilityPostgres db = ReliabilityPostgres.start(3)) {
            JdbcIdempotencySchema.create(db.dataSource(), TABLE);
            EngineHttpApp.createEffectTables(db.dataSource());
            JdbcIdempotencyStore store = JdbcIdempotencyStore.builder(db.dataSource()).tableName(TABLE).build();
            Map<String, String> env = Map.of("IDEM_APP_URL", db.jdbcUrl(), "IDEM_APP_USER", db.user(),
                    "IDEM_APP_PASSWORD", db.password(), "IDEM_APP_TABLE", TABLE,
                    "IDEM_APP_LEASE_MS", Long.toString(LEASE.toMillis()));
            HttpHistory history = new HttpHistory();
            ReliabilityClient client = new ReliabilityClient(history, Duration.ofSeconds(30), null);
            Map<String, PhaseTally> tallies = new LinkedHashMap<>();
            EngineHttpApp.PHASES.forEach(phase -> tallies.put(phase, new PhaseTally()));
            Map<String, String> phaseOfKey = new HashMap<>();
            List<Long> startMillis = new ArrayList<>();

            AppProcess current = AppProcess.start("crash-app-0", env);
            AppProcess standby = AppProcess.start("crash-app-1", env);
            URI currentUri = current.awaitReady();
            for (int cycle = 0; cycle < CYCLES; cycle++) {
                List<String> keys = new ArrayList<>();
                List<CompletableFuture<Exchange>> doomed = new ArrayList<>();
                for (String phase : EngineHttpApp.PHASES) {
                    String key = "crash-" + cycle + "-" + phase;
                    keys.add(key);
                    phaseOfKey.put(key, phase);
                    doomed.add(client.postAsync(URI.create(currentUri + "?block=" + phase), current.name(), key, BODY));
                }
                for (String key : keys) {
                    current.awaitPhase(key, phaseOfKey.get(key));
                }
                current.kill();
                doomed.forEach(CompletableFuture::join);
                long restart = System.nanoTime();
                current = standby;
                currentUri = current.awaitReady();
                startMillis.add((System.nanoTime() - restart) / 1_000_000);
                standby = AppProcess.start("crash-app-" + (cycle + 2), env);

                // 1. At once: the dead process's claim still holds, unless its completion committed.
                for (String key : keys) {
                    String phase = phaseOfKey.get(key);
                    PhaseTally tally = tallies.get(phase);
                    Duration leaseLeft = leaseLeft(db, key);
                    Exchange early = client.post(currentUri, current.name(), key, BODY);
                    if (phase.equals("after-completion")) {
                        assertThat(early.status()).as("%s", early).isEqualTo(200);
                        assertThat(early.replayed()).as("%s", early).isTrue();
                        tally.earlyReplays++;
                    } else if (leaseLeft.minusMillis(early.millis()).compareTo(LEASE_MARGIN) > 0) {
                        // The claim happened while the request was in flight; if even its end came well before the
                        // lease ran out on the database clock, the lease was live at the claim and 409 is the only
                        // right answer. A slow answer on a loaded machine may legitimately race the expiry.
                        assertThat(early.status()).as("%s with %s of lease left", early, leaseLeft).isEqualTo(409);
                        tally.early409++;
                    } else {
                        assertThat(early.status()).as("%s", early).isIn(200, 409);
                        tally.earlyRaced++;
                    }
                }
                // 2. Once the leases expired on the database clock: the work completes, or replays.
                awaitLeasesExpired(db, keys);
                Map<String, Exchange> completed = new HashMap<>();
                for (String key : keys) {
                    Exchange late = client.post(currentUri, current.name(), key, BODY);
                    assertThat(late.status()).as("%s", late).isEqualTo(200);
                    if (phaseOfKey.get(key).equals("after-completion")) {
                        assertThat(late.replayed()).as("%s", late).isTrue();
                    } else if (!late.replayed()) {
                        tallies.get(phaseOfKey.get(key)).takeovers++;
                    }
                    completed.put(key, late);
                }
                // 3. And from then on the same answer, replayed.
                for (String key : keys) {
                    Exchange replay = client.post(currentUri, current.name(), key, BODY);
                    assertThat(replay.replayed()).as("%s", replay).isTrue();
                    assertThat(replay.body()).isEqualTo(completed.get(key).body());
                }
            }
            current.kill();
            standby.kill();

            Map<String, Long> effects = countByKey(db, "SELECT idem_key, COUNT(*) FROM side_effects GROUP BY idem_key");
            Map<String, Long> attempts = countByKey(db, "SELECT idem_key, COUNT(*) FROM effect_attempts GROUP BY idem_key");
            Map<String, Long> absorbed = countByKey(db,
                    "SELECT idem_key, COUNT(*) FROM effect_attempts WHERE absorbed GROUP BY idem_key");
            Map<String, StoredResponse> stored = new HashMap<>();
            for (String key : phaseOfKey.keySet()) {
                IdempotencyRecord record = store.find(IdempotencyKey.of("reliability", key)).orElseThrow();
                assertThat(record.status()).as(key).isEqualTo(IdempotencyStatus.COMPLETED);
                stored.put(key, record.response());
                PhaseTally tally = tallies.get(phaseOfKey.get(key));
                tally.keys++;
                tally.attempts += attempts.getOrDefault(key, 0L);
                tally.absorbed += absorbed.getOrDefault(key, 0L);
                tally.effects += effects.getOrDefault(key, 0L);
            }
            HistoryChecker.Verdict verdict = HistoryChecker.check(history.exchanges(), stored, effects);

            long wallSeconds = (System.nanoTime() - started) / 1_000_000_000;
            tallies.forEach((phase, t) -> System.out.printf(
                    "[reliability] crash %-16s kills=%d keys=%d sideEffects=%d attempts=%d reExecutionsAbsorbed=%d "
                            + "takeovers=%d early409=%d earlyRaced=%d earlyReplays=%d%n",
                    phase, CYCLES, t.keys, t.effects, t.attempts, t.absorbed, t.takeovers, t.early409, t.earlyRaced,
                    t.earlyReplays));
            System.out.printf("[reliability] crash summary: %d kills x %d phases, lease %d ms, standby ready after "
                            + "kill median %d ms, %s, wall %d s (PostgreSQL from %s)%n",
                    CYCLES, EngineHttpApp.PHASES.size(), LEASE.toMillis(), median(startMillis), verdict.summary(),
                    wallSeconds, db.source());

            assertThat(verdict.ok()).as(verdict.describe()).isTrue();
            for (String key : phaseOfKey.keySet()) {
                assertThat(effects.get(key)).as("side effects of %s", key).isEqualTo(1L);
            }
            // What each phase implies: the run that was killed and its takeover both count as attempts once the
            // attempt row was written; the side effect was already done (and the re-run absorbed) only after it.
            assertThat(tallies.get("after-claim").attempts).isEqualTo(CYCLES);
            assertThat(tallies.get("after-claim").absorbed).isZero();
            assertThat(tallies.get("in-handler").attempts).isEqualTo(2L * CYCLES);
            assertThat(tallies.get("in-handler").absorbed).isZero();
            assertThat(tallies.get("after-effect").attempts).isEqualTo(2L * CYCLES);
            assertThat(tallies.get("after-effect").absorbed).isEqualTo(CYCLES);
            assertThat(tallies.get("after-completion").attempts).isEqualTo(CYCLES);
            assertThat(tallies.get("after-completion").absorbed).isZero();
        }
    }

    private static Duration leaseLeft(ReliabilityPostgres db, String key) throws SQLException {
        try (Connection connection = db.dataSource().getConnection(); PreparedStatement ps = connection.prepareStatement(
                "SELECT EXTRACT(EPOCH FROM (lease_expires_at - statement_timestamp())) * 1000 FROM " + TABLE
                        + " WHERE scope = 'reliability' AND idempotency_key = ? AND status = 'IN_PROGRESS'")) {
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Duration.ofMillis((long) rs.getDouble(1)) : Duration.ZERO;
            }
        }
    }

    private static void awaitLeasesExpired(ReliabilityPostgres db, List<String> keys) throws Exception {
        for (int i = 0; i < 200; i++) {
            boolean live = false;
            for (String key : keys) {
                live |= leaseLeft(db, key).compareTo(Duration.ZERO) > 0;
            }
            if (!live) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("leases of " + keys + " did not expire");
    }

    private static Map<String, Long> countByKey(ReliabilityPostgres db, String sql) throws SQLException {
        Map<String, Long> counts = new HashMap<>();
        try (Connection connection = db.dataSource().getConnection(); PreparedStatement ps = connection.prepareStatement(sql);
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                counts.put(rs.getString(1), rs.getLong(2));
            }
        }
        return counts;
    }

    private static long median(List<Long> values) {
        List<Long> sorted = new ArrayList<>(values);
        sorted.sort(null);
        return sorted.isEmpty() ? 0 : sorted.get(sorted.size() / 2);
    }

    private static final class PhaseTally {
        long keys;
        long effects;
        long attempts;
        long absorbed;
        long takeovers;
        long early409;
        long earlyRaced;
        long earlyReplays;
    }
}
