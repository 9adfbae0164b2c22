package dev.idempotency.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.store.ClaimRequest;
import dev.idempotency.core.store.ClaimResult;
import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.jdbc.dialect.PostgresDialect;
import dev.idempotency.jdbc.dialect.SqlDialect;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The JDBC store on PostgreSQL, with the table from {@code schema-postgresql.sql}. */
class PostgresIdempotencyStoreIT extends AbstractJdbcIdempotencyStoreIT {

    private static TestDatabase database;

    @BeforeAll
    static void startDatabase() {
        database = new PostgresTestDatabase().start(24);
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
        return new PostgresDialect();
    }

    @Override
    protected String databaseName() {
        return "PostgreSQL (" + database.source() + ")";
    }

    /**
     * A duplicate claim run on the caller's own connection, inside its open transaction, must leave that
     * transaction usable: the claim never raises a duplicate-key error, which on PostgreSQL would abort it.
     */
    @Test
    void duplicateClaimInsideACallersTransactionDoesNotAbortIt() throws Exception {
        IdempotencyKey key = newKey();
        store.claim(request(key));
        try (Connection connection = dataSource().getConnection()) {
            connection.setAutoCommit(false);
            try (Statement statement = connection.createStatement()) {
                statement.execute("CREATE TEMPORARY TABLE caller_work (id INT) ON COMMIT DROP");
                statement.execute("INSERT INTO caller_work VALUES (1)");
            }

            ClaimResult duplicate = new PostgresDialect().claim(connection, TABLE, request(key));
            ClaimResult fresh = new PostgresDialect().claim(connection, TABLE, request(newKey()));

            try (Statement statement = connection.createStatement();
                    ResultSet rs = statement.executeQuery("SELECT COUNT(*) FROM caller_work")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(1);
            }
            connection.commit();
            assertThat(duplicate).isInstanceOf(ClaimResult.InProgress.class);
            assertThat(fresh).isInstanceOf(ClaimResult.Acquired.class);
        }
    }

    @Test
    void schemaQualifiedTableNameWorks() throws Exception {
        String schema = "idem_qualified_" + Long.toHexString(System.nanoTime());
        try (Connection connection = dataSource().getConnection(); Statement statement = connection.createStatement()) {
            statement.execute("CREATE SCHEMA " + schema);
        }
        try {
            String table = schema + ".idempotency_record";
            JdbcIdempotencySchema.create(dataSource(), table);
            IdempotencyStore qualified = JdbcIdempotencyStore.builder(dataSource()).tableName(table).build();
            ClaimRequest claim = request(newKey());
            assertThat(qualified.claim(claim)).isInstanceOf(ClaimResult.Acquired.class);
            assertThat(qualified.claim(request(claim.key()))).isInstanceOf(ClaimResult.InProgress.class);
            assertThat(store.find(claim.key())).isEmpty();
            JdbcIdempotencySchema.drop(dataSource(), table);
        } finally {
            try (Connection connection = dataSource().getConnection();
                    Statement statement = connection.createStatement()) {
                statement.execute("DROP SCHEMA " + schema + " CASCADE");
            }
        }
    }

    /** The Flyway migration applies through Flyway's own API and yields the same table as the schema file. */
    @Test
    void flywayMigrationCreatesTheSameTable() throws Exception {
        String schema = "idem_flyway_" + Long.toHexString(System.nanoTime());
        Flyway flyway = Flyway.configure()
                .dataSource(dataSource())
                .schemas(schema)
                .createSchemas(true)
                .locations("classpath:dev/idempotency/jdbc/flyway/postgresql")
                .load();
        try {
            assertThat(flyway.migrate().migrationsExecuted).isEqualTo(1);
            assertThat(columns(schema)).isEqualTo(columns(currentSchema()));
            IdempotencyStore migrated = JdbcIdempotencyStore.builder(dataSource())
                    .tableName(schema + ".idempotency_record").build();
            assertThat(migrated.claim(request(newKey()))).isInstanceOf(ClaimResult.Acquired.class);
        } finally {
            try (Connection connection = dataSource().getConnection();
                    Statement statement = connection.createStatement()) {
                statement.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        }
    }

    private String currentSchema() throws Exception {
        try (Connection connection = dataSource().getConnection()) {
            return connection.getSchema();
        }
    }

    private List<String> columns(String schema) throws Exception {
        List<String> columns = new ArrayList<>();
        try (Connection connection = dataSource().getConnection();
                var ps = connection.prepareStatement("""
                        SELECT column_name, data_type, character_maximum_length, is_nullable
                          FROM information_schema.columns
                         WHERE table_schema = ? AND table_name = 'idempotency_record'
                         ORDER BY ordinal_position""")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    columns.add(rs.getString(1) + " " + rs.getString(2) + " " + rs.getString(3) + " " + rs.getString(4));
                }
            }
        }
        assertThat(columns).hasSize(14);
        return columns;
    }
}
