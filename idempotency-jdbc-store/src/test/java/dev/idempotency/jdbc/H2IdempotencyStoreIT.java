package dev.idempotency.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.idempotency.core.store.ClaimRequest;
import dev.idempotency.core.store.ClaimResult;
import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.jdbc.dialect.H2Dialect;
import dev.idempotency.jdbc.dialect.SqlDialect;
import java.sql.Connection;
import java.sql.Statement;
import java.util.UUID;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The JDBC store on in-memory H2 in its regular mode, with the table from {@code schema-h2.sql}. */
class H2IdempotencyStoreIT extends AbstractJdbcIdempotencyStoreIT {

    private static HikariDataSource dataSource;

    @BeforeAll
    static void startDatabase() {
        dataSource = h2Pool("");
        JdbcIdempotencySchema.create(dataSource, TABLE);
    }

    @AfterAll
    static void stopDatabase() {
        dataSource.close();
    }

    static HikariDataSource h2Pool(String mode) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl("jdbc:h2:mem:idem_" + UUID.randomUUID().toString().replace("-", "") + ";DB_CLOSE_DELAY=-1"
                + mode);
        config.setUsername("sa");
        config.setPassword("");
        config.setMaximumPoolSize(24);
        return new HikariDataSource(config);
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
        return "H2";
    }

    @Test
    void schemaQualifiedTableNameWorks() throws Exception {
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
            statement.execute("CREATE SCHEMA IF NOT EXISTS other");
        }
        JdbcIdempotencySchema.create(dataSource, "other.idempotency_record");
        try {
            IdempotencyStore qualified = JdbcIdempotencyStore.builder(dataSource)
                    .tableName("other.idempotency_record").build();
            ClaimRequest claim = request(newKey());
            assertThat(qualified.claim(claim)).isInstanceOf(ClaimResult.Acquired.class);
            assertThat(store.find(claim.key())).isEmpty();
        } finally {
            JdbcIdempotencySchema.drop(dataSource, "other.idempotency_record");
        }
    }

    @Test
    void flywayMigrationApplies() {
        try (HikariDataSource fresh = h2Pool("")) {
            Flyway flyway = Flyway.configure().dataSource(fresh)
                    .locations("classpath:dev/idempotency/jdbc/flyway/h2").load();
            assertThat(flyway.migrate().migrationsExecuted).isEqualTo(1);
            IdempotencyStore migrated = JdbcIdempotencyStore.builder(fresh).build();
            assertThat(migrated.claim(request(newKey()))).isInstanceOf(ClaimResult.Acquired.class);
        }
    }
}
