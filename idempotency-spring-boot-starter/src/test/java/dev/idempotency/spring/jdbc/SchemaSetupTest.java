package dev.idempotency.spring.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.spring.SpringBootLine;
import dev.idempotency.spring.autoconfigure.IdempotencyAutoConfiguration;
import dev.idempotency.spring.autoconfigure.IdempotencyInMemoryStoreAutoConfiguration;
import dev.idempotency.spring.autoconfigure.IdempotencyJdbcStoreAutoConfiguration;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The table follows the application's migration tool, on an embedded H2 as a new application has it: Flyway runs first
 * and owns the schema, and a missing table fails the startup with one message instead of a 503 on every request.
 */
@ExtendWith(OutputCaptureExtension.class)
class SchemaSetupTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(SpringBootLine.DATA_SOURCE_AUTO_CONFIGURATION, SpringBootLine.FLYWAY_AUTO_CONFIGURATION,
                    IdempotencyJdbcStoreAutoConfiguration.class, IdempotencyInMemoryStoreAutoConfiguration.class,
                    IdempotencyAutoConfiguration.class))
            .withPropertyValues("spring.datasource.url=jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1",
                    "spring.datasource.generate-unique-name=false", "idempotency.purge.enabled=false");

    @Test
    void withFlywayAndTheShippedMigrationTheDefaultSetupStartsAndFlywayCreatesTheTable(CapturedOutput output) {
        runner.withPropertyValues("spring.flyway.locations=classpath:dev/idempotency/jdbc/flyway/{vendor}").run(context -> {
            assertThat(context).hasNotFailed();
            JdbcTemplate jdbc = new JdbcTemplate(context.getBean(DataSource.class));
            assertThat(jdbc.queryForObject("select count(*) from \"flyway_schema_history\" where \"version\" = '0.1' and \"success\"", Integer.class))
                    .as("Flyway ran the shipped migration on an empty schema").isEqualTo(1);
            assertThat(jdbc.queryForObject("select count(*) from idempotency_record", Integer.class)).isZero();
            assertThat(output).contains("Flyway manages this database (idempotency.jdbc.initialize-schema=embedded backs off to it)");
        });
    }

    @Test
    void withFlywayButWithoutTheShippedMigrationTheStartupFailsNamingTheWaysToCreateTheTable() {
        runner.withPropertyValues("spring.flyway.locations=classpath:no/such/migrations", "spring.flyway.fail-on-missing-locations=false")
                .run(context -> {
                    assertThat(context).hasFailed();
                    assertThat(context.getStartupFailure()).rootCause()
                            .hasMessageContaining("The idempotency table 'idempotency_record' does not exist")
                            .hasMessageContaining("classpath:dev/idempotency/jdbc/flyway/{vendor}")
                            .hasMessageContaining("idempotency.jdbc.initialize-schema=always")
                            .hasMessageContaining("schema-<vendor>.sql")
                            .hasMessageContaining("idempotency.jdbc.validate-schema=false");
                });
    }

    @Test
    void withoutFlywayAnEmbeddedDatabaseGetsTheTableFromTheStarter() {
        runner.withClassLoader(new FilteredClassLoader("org.flywaydb")).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(new JdbcTemplate(context.getBean(DataSource.class))
                    .queryForObject("select count(*) from idempotency_record", Integer.class)).isZero();
        });
    }

    @Test
    void theShippedLocationWithoutARunningFlywayFailsNamingBootsFlywayStarter() {
        // flyway-core without Boot's Flyway auto-configuration: on Boot 4 that is flyway-core without spring-boot-starter-flyway.
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(SpringBootLine.DATA_SOURCE_AUTO_CONFIGURATION,
                        IdempotencyJdbcStoreAutoConfiguration.class, IdempotencyInMemoryStoreAutoConfiguration.class,
                        IdempotencyAutoConfiguration.class))
                .withPropertyValues("spring.datasource.url=jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1",
                        "spring.datasource.generate-unique-name=false", "idempotency.purge.enabled=false",
                        "idempotency.jdbc.initialize-schema=never",
                        "spring.flyway.locations=classpath:db/migration,classpath:dev/idempotency/jdbc/flyway/{vendor}")
                .run(context -> assertThat(context.getStartupFailure()).rootCause()
                        .hasMessageContaining("does not exist")
                        .hasMessageContaining("spring-boot-starter-flyway"));
    }

    @Test
    void theShippedLocationWithoutARunningFlywayIsSaidAtStartupEvenWhenTheTableExists(CapturedOutput output) {
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(SpringBootLine.DATA_SOURCE_AUTO_CONFIGURATION,
                        IdempotencyJdbcStoreAutoConfiguration.class, IdempotencyInMemoryStoreAutoConfiguration.class,
                        IdempotencyAutoConfiguration.class))
                .withPropertyValues("spring.datasource.url=jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1",
                        "spring.datasource.generate-unique-name=false", "idempotency.purge.enabled=false",
                        "spring.flyway.locations=classpath:dev/idempotency/jdbc/flyway/{vendor}")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(output).contains("spring.flyway.locations names the shipped idempotency migration, but "
                            + "Flyway is not running: on Spring Boot 4 add spring-boot-starter-flyway");
                });
    }

    @Test
    void aTableWithoutTheStoresColumnsFailsTheStartupNamingThem() {
        String url = "jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
        new JdbcTemplate(new org.springframework.jdbc.datasource.SimpleDriverDataSource(new org.h2.Driver(), url, "sa", ""))
                .execute("create table legacy_keys (scope varchar(255), idempotency_key varchar(255))");
        runner.withClassLoader(new FilteredClassLoader("org.flywaydb"))
                .withPropertyValues("spring.datasource.url=" + url, "idempotency.jdbc.table-name=legacy_keys")
                .run(context -> assertThat(context.getStartupFailure()).rootCause()
                        .hasMessageContaining("The idempotency table 'legacy_keys' lacks the columns [fingerprint, status"));
    }

    @Test
    void validationCanBeTurnedOff() {
        runner.withClassLoader(new FilteredClassLoader("org.flywaydb"))
                .withPropertyValues("idempotency.jdbc.initialize-schema=never", "idempotency.jdbc.validate-schema=false")
                .run(context -> assertThat(context).hasNotFailed().hasSingleBean(JdbcIdempotencyStore.class));
    }

    @Test
    void theStartupNamesTheStoreTheTableTheDialectTheTtlAndTheLease(CapturedOutput output) {
        runner.withClassLoader(new FilteredClassLoader("org.flywaydb")).run(context -> {
            assertThat(context).hasSingleBean(IdempotencyStore.class);
            assertThat(output).contains("Idempotency keys are kept in the JDBC store (table idempotency_record, H2Dialect); "
                    + "responses replayed for PT24H, leases of PT30S");
        });
    }
}
