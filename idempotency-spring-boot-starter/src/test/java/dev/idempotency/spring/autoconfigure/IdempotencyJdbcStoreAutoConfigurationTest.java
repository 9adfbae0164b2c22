package dev.idempotency.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.core.IdempotencyEngine;
import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.IdempotentRequest;
import dev.idempotency.core.RequestFingerprint;
import dev.idempotency.core.ResultCodecs;
import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.core.store.memory.InMemoryIdempotencyStore;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.spring.IdempotencyDataSource;
import dev.idempotency.spring.SpringBootLine;
import dev.idempotency.spring.jdbc.IdempotencySchemaInitializer;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;

/** The JDBC store auto-configuration against an embedded H2; PostgreSQL is covered by the integration tests. */
class IdempotencyJdbcStoreAutoConfigurationTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(SpringBootLine.DATA_SOURCE_AUTO_CONFIGURATION,
                    IdempotencyJdbcStoreAutoConfiguration.class, IdempotencyInMemoryStoreAutoConfiguration.class,
                    IdempotencyAutoConfiguration.class))
            .withPropertyValues("spring.datasource.url=jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1",
                    "spring.datasource.generate-unique-name=false");

    private static void executeOnce(IdempotencyEngine engine) {
        engine.execute(IdempotentRequest.of(IdempotencyKey.of("s", "k"), RequestFingerprint.of("f")), ResultCodecs.utf8(),
                work -> "done");
    }

    private static int records(DataSource dataSource) {
        return new JdbcTemplate(dataSource).queryForObject("select count(*) from idempotency_record", Integer.class);
    }

    private static DataSource h2() {
        return new SimpleDriverDataSource(new org.h2.Driver(), "jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
    }

    /** The store's own pool, kept out of by-type injection so Spring Boot still configures the application's. */
    @Configuration(proxyBeanMethods = false)
    static class StoreDataSourceBesideTheApplications {

        @Bean(defaultCandidate = false)
        @IdempotencyDataSource
        DataSource storeDataSource() {
            return h2();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class TwoDataSourcesOneQualified {

        @Bean
        DataSource applicationDataSource() {
            return h2();
        }

        @Bean
        @IdempotencyDataSource
        DataSource storeDataSource() {
            return h2();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class TwoDataSourcesOnePrimary {

        @Bean
        @Primary
        DataSource primaryDataSource() {
            return h2();
        }

        @Bean
        DataSource secondaryDataSource() {
            return h2();
        }
    }

    private static int tables(DataSource dataSource, String name) {
        return new JdbcTemplate(dataSource).queryForObject(
                "select count(*) from information_schema.tables where lower(table_name) = ?", Integer.class, name);
    }

    @Test
    void dataSourceGivesTheJdbcStoreAndAnEmbeddedDatabaseGetsItsTable() {
        runner.run(context -> {
            assertThat(context).hasSingleBean(JdbcIdempotencyStore.class)
                    .hasSingleBean(IdempotencySchemaInitializer.class)
                    .doesNotHaveBean(InMemoryIdempotencyStore.class);
            assertThat(tables(context.getBean(DataSource.class), "idempotency_record")).isEqualTo(1);
            IdempotencyEngine engine = context.getBean(IdempotencyEngine.class);
            assertThat(EngineStoreProbe.writesTo(engine, context.getBean(IdempotencyStore.class))).isTrue();
            var outcome = engine.execute(IdempotentRequest.of(IdempotencyKey.of("s", "k"), RequestFingerprint.of("f")),
                    ResultCodecs.utf8(), work -> "done");
            assertThat(outcome).isInstanceOf(dev.idempotency.core.IdempotencyOutcome.Executed.class);
            assertThat(context.getBean(IdempotencyStore.class).find(IdempotencyKey.of("s", "k"))).isPresent();
        });
    }

    @Test
    void tableNameIsConfigurable() {
        runner.withPropertyValues("idempotency.jdbc.table-name=app_keys").run(context -> {
            assertThat(context.getBean(JdbcIdempotencyStore.class).tableName()).isEqualTo("app_keys");
            assertThat(tables(context.getBean(DataSource.class), "app_keys")).isEqualTo(1);
        });
    }

    @Test
    void initializeSchemaNeverLeavesTheDatabaseAlone() {
        runner.withPropertyValues("idempotency.jdbc.initialize-schema=never", "idempotency.jdbc.validate-schema=false").run(context -> {
            assertThat(context).hasSingleBean(JdbcIdempotencyStore.class);
            assertThat(tables(context.getBean(DataSource.class), "idempotency_record")).isZero();
        });
    }

    @Test
    void initializeSchemaAlwaysToleratesAnExistingTable() throws Exception {
        runner.withPropertyValues("idempotency.jdbc.initialize-schema=always").run(context -> {
            IdempotencySchemaInitializer initializer = context.getBean(IdempotencySchemaInitializer.class);
            assertThat(tables(context.getBean(DataSource.class), "idempotency_record")).isEqualTo(1);
            assertThat(initializer.initialize()).isFalse();
        });
    }

    @Test
    void memoryTypeWinsOverADataSource() {
        runner.withPropertyValues("idempotency.store.type=memory").run(context -> assertThat(context)
                .hasSingleBean(InMemoryIdempotencyStore.class)
                .doesNotHaveBean(JdbcIdempotencyStore.class)
                .doesNotHaveBean(IdempotencySchemaInitializer.class));
    }

    @Test
    void jdbcTypeUsesTheJdbcStore() {
        runner.withPropertyValues("idempotency.store.type=jdbc")
                .run(context -> assertThat(context).hasSingleBean(JdbcIdempotencyStore.class));
    }

    @Test
    void withoutTheJdbcStoreOnTheClasspathTheInMemoryStoreIsUsed() {
        runner.withClassLoader(new FilteredClassLoader("dev.idempotency.jdbc"))
                .run(context -> assertThat(context).hasSingleBean(InMemoryIdempotencyStore.class));
    }

    @Test
    void userStoreAndInitializerWin() {
        IdempotencyStore store = new InMemoryIdempotencyStore();
        runner.withBean("myStore", IdempotencyStore.class, () -> store).run(context -> {
            assertThat(context).hasSingleBean(IdempotencyStore.class).hasBean("myStore");
            assertThat(EngineStoreProbe.writesTo(context.getBean(IdempotencyEngine.class), store)).isTrue();
        });
        runner.withPropertyValues("spring.datasource.url=jdbc:h2:mem:" + UUID.randomUUID())
                .withBean("myInitializer", IdempotencySchemaInitializer.class,
                        () -> new IdempotencySchemaInitializer(new org.springframework.jdbc.datasource.SimpleDriverDataSource(),
                                "idempotency_record", dev.idempotency.spring.IdempotencyProperties.InitializeSchema.NEVER))
                .run(context -> {
                    assertThat(context).hasSingleBean(IdempotencySchemaInitializer.class).hasBean("myInitializer");
                    assertThat(tables(context.getBean(DataSource.class), "idempotency_record")).isZero();
                });
    }

    @Test
    void aDataSourceQualifiedForTheStoreIsUsedBesideTheAutoConfiguredOne() {
        runner.withUserConfiguration(StoreDataSourceBesideTheApplications.class).run(context -> {
            assertThat(context).hasSingleBean(JdbcIdempotencyStore.class);
            DataSource application = context.getBean(DataSource.class);
            DataSource store = context.getBean("storeDataSource", DataSource.class);
            assertThat(application).isNotSameAs(store);

            executeOnce(context.getBean(IdempotencyEngine.class));

            assertThat(records(store)).isEqualTo(1);
            assertThat(tables(application, "idempotency_record")).isZero();
        });
    }

    @Test
    void ofTwoDataSourcesWithoutAPrimaryTheQualifiedOneBacksTheStore() {
        runner.withUserConfiguration(TwoDataSourcesOneQualified.class).run(context -> {
            assertThat(context).hasSingleBean(JdbcIdempotencyStore.class).doesNotHaveBean(InMemoryIdempotencyStore.class);

            executeOnce(context.getBean(IdempotencyEngine.class));

            assertThat(records(context.getBean("storeDataSource", DataSource.class))).isEqualTo(1);
            assertThat(tables(context.getBean("applicationDataSource", DataSource.class), "idempotency_record")).isZero();
        });
    }

    @Test
    void withoutAQualifiedDataSourceThePrimaryBacksTheStore() {
        runner.withUserConfiguration(TwoDataSourcesOnePrimary.class).run(context -> {
            assertThat(context).hasSingleBean(JdbcIdempotencyStore.class);

            executeOnce(context.getBean(IdempotencyEngine.class));

            assertThat(records(context.getBean("primaryDataSource", DataSource.class))).isEqualTo(1);
            assertThat(tables(context.getBean("secondaryDataSource", DataSource.class), "idempotency_record")).isZero();
        });
    }

    @Test
    void aUserStoreWinsOverAQualifiedDataSource() {
        IdempotencyStore store = new InMemoryIdempotencyStore();
        runner.withUserConfiguration(TwoDataSourcesOneQualified.class).withBean("myStore", IdempotencyStore.class, () -> store)
                .run(context -> {
                    assertThat(context).hasSingleBean(IdempotencyStore.class).doesNotHaveBean(JdbcIdempotencyStore.class);
                    assertThat(EngineStoreProbe.writesTo(context.getBean(IdempotencyEngine.class), store)).isTrue();
                });
    }

    @Test
    void disabledCreatesNoStore() {
        runner.withPropertyValues("idempotency.enabled=false")
                .run(context -> assertThat(context).doesNotHaveBean(IdempotencyStore.class).doesNotHaveBean(IdempotencySchemaInitializer.class));
    }
}
