package dev.idempotency.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.core.store.ClaimRequest;
import dev.idempotency.core.store.ClaimResult;
import dev.idempotency.core.store.PurgeResult;
import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.jdbc.dialect.MariaDbDialect;
import dev.idempotency.jdbc.dialect.SqlDialect;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The JDBC store on MariaDB, with the table from {@code schema-mariadb.sql}. */
class MariaDbIdempotencyStoreIT extends AbstractJdbcIdempotencyStoreIT {

    private static TestDatabase database;

    @BeforeAll
    static void startDatabase() {
        database = new MariaDbTestDatabase().start(24);
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
        return "MariaDB (" + database.source() + ")";
    }

    @Test
    void keysDifferingOnlyInTrailingSpacesAreDistinct() {
        String key = "key-" + System.nanoTime();
        assertThat(store.claim(request(dev.idempotency.core.IdempotencyKey.of("tenant-a", key))))
                .isInstanceOf(ClaimResult.Acquired.class);
        assertThat(store.claim(request(dev.idempotency.core.IdempotencyKey.of("tenant-a", key + " "))))
                .isInstanceOf(ClaimResult.Acquired.class);
    }

    /**
     * The purge skips an expired row that a claim holds locked (MariaDB 10.6+ has {@code SKIP LOCKED}) and
     * deletes the others at once, instead of waiting on the claim's lock.
     */
    @Test
    void purgeSkipsExpiredRowsThatAClaimHoldsLocked() throws Exception {
        List<dev.idempotency.core.IdempotencyKey> keys = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ClaimRequest claim = request(newKey(), FINGERPRINT, SHORT_LEASE, SHORT_LEASE);
            assertThat(store.claim(claim)).isInstanceOf(ClaimResult.Acquired.class);
            keys.add(claim.key());
        }
        letTimePass(SHORT_LEASE.multipliedBy(2));
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try (Connection holder = dataSource().getConnection()) {
            holder.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
            holder.setAutoCommit(false);
            try (PreparedStatement lock = holder.prepareStatement(
                    "SELECT owner_token FROM " + TABLE + " WHERE scope = ? AND idempotency_key = ? FOR UPDATE")) {
                lock.setString(1, keys.get(0).scope());
                lock.setString(2, keys.get(0).key());
                lock.executeQuery().close();
            }
            try {
                Future<PurgeResult> purge = executor.submit(() -> store.purgeExpired(100));
                assertThat(purge.get(5, TimeUnit.SECONDS).deleted()).isEqualTo(2);
            } finally {
                holder.rollback();
            }
        } finally {
            executor.shutdownNow();
        }
        assertThat(countRows()).isEqualTo(1);
        assertThat(store.purgeExpired(100).deleted()).isEqualTo(1);
        assertThat(countRows()).isZero();
    }

    /** The Flyway migration applies through Flyway's own API and yields the same table as the schema file. */
    @Test
    void flywayMigrationCreatesTheSameTable() throws Exception {
        String table = "flyway_" + Long.toHexString(System.nanoTime());
        Flyway flyway = Flyway.configure()
                .dataSource(dataSource())
                .table(table + "_history")
                .baselineOnMigrate(true)
                .baselineVersion("0")
                .locations("classpath:dev/idempotency/jdbc/flyway/mariadb")
                .load();
        String schemaTable = columns();
        try (Connection connection = dataSource().getConnection(); Statement statement = connection.createStatement()) {
            statement.execute("RENAME TABLE idempotency_record TO " + table + "_original");
        }
        try {
            assertThat(flyway.migrate().migrationsExecuted).isEqualTo(1);
            assertThat(columns()).isEqualTo(schemaTable);
            IdempotencyStore migrated = JdbcIdempotencyStore.builder(dataSource()).build();
            assertThat(migrated.claim(request(newKey()))).isInstanceOf(ClaimResult.Acquired.class);
        } finally {
            try (Connection connection = dataSource().getConnection();
                    Statement statement = connection.createStatement()) {
                statement.execute("DROP TABLE IF EXISTS idempotency_record");
                statement.execute("DROP TABLE IF EXISTS " + table + "_history");
                statement.execute("RENAME TABLE " + table + "_original TO idempotency_record");
            }
        }
    }

    private String columns() throws Exception {
        List<String> columns = new ArrayList<>();
        try (Connection connection = dataSource().getConnection();
                Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("""
                        SELECT column_name, column_type, collation_name, is_nullable
                          FROM information_schema.columns
                         WHERE table_schema = DATABASE() AND table_name = 'idempotency_record'
                         ORDER BY ordinal_position""")) {
            while (rs.next()) {
                columns.add(rs.getString(1) + " " + rs.getString(2) + " " + rs.getString(3) + " " + rs.getString(4));
            }
        }
        assertThat(columns).hasSize(14);
        return String.join("\n", columns);
    }
}
