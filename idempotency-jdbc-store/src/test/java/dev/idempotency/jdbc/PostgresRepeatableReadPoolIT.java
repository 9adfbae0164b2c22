package dev.idempotency.jdbc;

import dev.idempotency.jdbc.dialect.PostgresDialect;
import dev.idempotency.jdbc.dialect.SqlDialect;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The JDBC store on PostgreSQL behind a pool that hands out connections with autocommit off and REPEATABLE READ
 * isolation. The store must still run every operation in autocommit at READ COMMITTED: under REPEATABLE READ, the
 * claim's upsert fails with serialization errors (40001) when racing claims commit, and its re-read cannot see
 * rows committed after the transaction's snapshot. The whole contract suite, its 64-thread race included, runs on
 * that pool, and the connections go back to the pool with the pool's settings.
 */
class PostgresRepeatableReadPoolIT extends AbstractJdbcIdempotencyStoreIT {

    private static TestDatabase database;

    @BeforeAll
    static void startDatabase() {
        database = new PostgresTestDatabase().start(24, config -> {
            config.setAutoCommit(false);
            config.setTransactionIsolation("TRANSACTION_REPEATABLE_READ");
        });
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
        return "PostgreSQL, pool with autocommit off and REPEATABLE READ (" + database.source() + ")";
    }
}
