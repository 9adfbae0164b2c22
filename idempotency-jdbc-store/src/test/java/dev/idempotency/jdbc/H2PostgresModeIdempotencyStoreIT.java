package dev.idempotency.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import dev.idempotency.jdbc.dialect.H2Dialect;
import dev.idempotency.jdbc.dialect.SqlDialect;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The JDBC store on in-memory H2 emulating PostgreSQL, the mode many applications run their tests in; the table
 * comes from {@code schema-h2.sql}, which must work in both modes.
 */
class H2PostgresModeIdempotencyStoreIT extends AbstractJdbcIdempotencyStoreIT {

    private static HikariDataSource dataSource;

    @BeforeAll
    static void startDatabase() {
        dataSource = H2IdempotencyStoreIT.h2Pool(";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH");
        JdbcIdempotencySchema.create(dataSource, TABLE);
    }

    @AfterAll
    static void stopDatabase() {
        dataSource.close();
    }

    @Override
    protected DataSource dataSource() {
        return dataSource;
    }

    @Override
    protected SqlDialect dialect() {
        return new H2Dialect();
    }

    @Override
    protected String databaseName() {
        return "H2 (PostgreSQL mode)";
    }
}
