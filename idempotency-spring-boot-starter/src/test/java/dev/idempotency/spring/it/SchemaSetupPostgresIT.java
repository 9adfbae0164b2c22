package dev.idempotency.spring.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.spring.SpringBootLine;
import dev.idempotency.spring.autoconfigure.IdempotencyAutoConfiguration;
import dev.idempotency.spring.autoconfigure.IdempotencyInMemoryStoreAutoConfiguration;
import dev.idempotency.spring.autoconfigure.IdempotencyJdbcStoreAutoConfiguration;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * A new application on a real PostgreSQL, set up as the README says: with Boot's Flyway the shipped migration creates
 * the table; with {@code flyway-core} alone (no Flyway auto-configuration) the startup fails and names
 * {@code spring-boot-starter-flyway}, instead of starting without the table and answering 503 to every request.
 */
class SchemaSetupPostgresIT {

    private final PostgresTestDatabase database = PostgresTestDatabase.createSchema();

    private ApplicationContextRunner runner(Class<?>... autoConfigurations) {
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(autoConfigurations))
                .withConfiguration(AutoConfigurations.of(SpringBootLine.DATA_SOURCE_AUTO_CONFIGURATION,
                        IdempotencyJdbcStoreAutoConfiguration.class, IdempotencyInMemoryStoreAutoConfiguration.class,
                        IdempotencyAutoConfiguration.class))
                .withPropertyValues("spring.datasource.url=" + database.url(),
                        "spring.datasource.username=" + database.user, "spring.datasource.password=" + database.password,
                        "spring.flyway.default-schema=" + database.schema, "spring.flyway.schemas=" + database.schema,
                        "spring.flyway.locations=classpath:dev/idempotency/jdbc/flyway/{vendor}",
                        "idempotency.purge.enabled=false");
    }

    @AfterEach
    void dropSchema() {
        database.dropSchema();
    }

    @Test
    void withBootsFlywayTheShippedMigrationCreatesTheTable() {
        runner(SpringBootLine.FLYWAY_AUTO_CONFIGURATION).run(context -> {
            assertThat(context).hasNotFailed().hasSingleBean(JdbcIdempotencyStore.class);
            assertThat(new JdbcTemplate(context.getBean(DataSource.class)).queryForObject(
                    "select count(*) from idempotency_record", Integer.class)).isZero();
        });
    }

    @Test
    void withFlywayCoreAloneTheStartupFailsNamingBootsFlywayStarter() {
        runner().run(context -> assertThat(context.getStartupFailure()).rootCause()
                .hasMessageContaining("The idempotency table 'idempotency_record' does not exist")
                .hasMessageContaining("spring-boot-starter-flyway"));
    }
}
