package dev.idempotency.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.store.ClaimRequest;
import dev.idempotency.core.store.ClaimResult;
import dev.idempotency.core.store.CompleteResult;
import dev.idempotency.core.store.IdempotencyRecord;
import dev.idempotency.core.store.IdempotencyStatus;
import dev.idempotency.jdbc.dialect.MariaDbDialect;
import dev.idempotency.jdbc.dialect.SqlDialect;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The JDBC store on MariaDB whose sessions run with {@code SIMULTANEOUS_ASSIGNMENT} in {@code sql_mode} (MariaDB
 * 10.3.5+): every assignment of an {@code UPDATE} sees the row's old values, not those assigned before it. The whole
 * contract suite runs on such connections, and the tests here pin the two claims that an order-dependent upsert got
 * wrong: a takeover and the reuse of an expired completed record.
 */
class MariaDbSimultaneousAssignmentIT extends AbstractJdbcIdempotencyStoreIT {

    private static TestDatabase database;

    @BeforeAll
    static void startDatabase() {
        database = new MariaDbTestDatabase().start(24, config -> config.setConnectionInitSql(
                "SET SESSION sql_mode = CONCAT(@@sql_mode, ',SIMULTANEOUS_ASSIGNMENT')"));
        JdbcIdempotencySchema.create(database.dataSource(), TABLE);
    }

    @AfterAll
    static void stopDatabase() {
        if (database != null) {
            database.close();
        }
    }

    @Override
    protected DataSource dataSource() {
        return database.dataSource();
    }

    @Override
    protected SqlDialect dialect() {
        return new MariaDbDialect();
    }

    @Override
    protected String databaseName() {
        return "MariaDB with SIMULTANEOUS_ASSIGNMENT (" + database.source() + ")";
    }

    @Test
    void poolConnectionsRunWithSimultaneousAssignment() throws Exception {
        try (Connection connection = dataSource().getConnection(); Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("SELECT @@SESSION.sql_mode")) {
            rs.next();
            assertThat(rs.getString(1)).contains("SIMULTANEOUS_ASSIGNMENT");
        }
    }

    /** A takeover must grant a live lease, so that a second claimer finds the key in progress. */
    @Test
    void takeoverGrantsALiveLeaseSoASecondClaimerIsTurnedAway() throws Exception {
        IdempotencyKey key = newKey();
        assertThat(store.claim(request(key, FINGERPRINT, SHORT_LEASE, TTL))).isInstanceOf(ClaimResult.Acquired.class);
        letTimePass(SHORT_LEASE.multipliedBy(2));

        ClaimRequest second = request(key, FINGERPRINT, LEASE, TTL);
        ClaimResult takeover = store.claim(second);
        ClaimResult third = store.claim(request(key, FINGERPRINT, LEASE, TTL));

        assertThat(takeover).isInstanceOf(ClaimResult.Acquired.class);
        assertThat(((ClaimResult.Acquired) takeover).takeover()).isTrue();
        IdempotencyRecord taken = takeover.record();
        assertThat(taken.ownerToken()).isEqualTo(second.ownerToken());
        assertThat(Duration.between(taken.createdAt(), taken.leaseExpiresAt())).isGreaterThan(LEASE);
        assertThat(third).isInstanceOf(ClaimResult.InProgress.class);
        assertThat(third.record().ownerToken()).isEqualTo(second.ownerToken());
        assertThat(store.find(key).orElseThrow().leaseExpiresAt()).isEqualTo(taken.leaseExpiresAt());
    }

    /** A completed record whose TTL passed is replaced by a fresh in-progress record with a lease. */
    @Test
    void expiredCompletedRecordBecomesAFreshClaim() throws Exception {
        IdempotencyKey key = newKey();
        ClaimRequest first = request(key, FINGERPRINT, SHORT_LEASE, SHORT_LEASE);
        assertThat(store.claim(first)).isInstanceOf(ClaimResult.Acquired.class);
        assertThat(store.complete(key, first.ownerToken(), response(201, 16), SHORT_LEASE))
                .isInstanceOf(CompleteResult.Completed.class);
        letTimePass(SHORT_LEASE.multipliedBy(2));

        ClaimRequest again = request(key, OTHER_FINGERPRINT, LEASE, TTL);
        ClaimResult result = store.claim(again);

        assertThat(result).isInstanceOf(ClaimResult.Acquired.class);
        assertThat(((ClaimResult.Acquired) result).takeover()).isFalse();
        IdempotencyRecord record = result.record();
        assertThat(record.status()).isEqualTo(IdempotencyStatus.IN_PROGRESS);
        assertThat(record.fingerprint()).isEqualTo(OTHER_FINGERPRINT);
        assertThat(record.response()).isNull();
        assertThat(Duration.between(record.createdAt(), record.leaseExpiresAt())).isEqualTo(LEASE);
        assertThat(Duration.between(record.createdAt(), record.expiresAt())).isEqualTo(TTL);
        assertThat(store.claim(request(key, OTHER_FINGERPRINT, LEASE, TTL))).isInstanceOf(ClaimResult.InProgress.class);
    }
}
