package dev.idempotency.spring.autoconfigure;

import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.spring.IdempotencyDataSource;
import dev.idempotency.spring.IdempotencyProperties;
import dev.idempotency.spring.jdbc.IdempotencySchemaInitializer;
import dev.idempotency.spring.jdbc.IdempotencySchemaInitializer.MigrationSetup;
import dev.idempotency.spring.jdbc.SpringTransactionalConnections;
import dev.idempotency.spring.jdbc.StorePoolTimeoutCheck;
import javax.sql.DataSource;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.AnyNestedCondition;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.boot.sql.init.dependency.DependsOnDatabaseInitialization;
import org.springframework.context.annotation.Conditional;
import org.springframework.core.env.Environment;
import org.springframework.util.ClassUtils;

/**
 * The JDBC store, when {@code idempotency-jdbc-store} is on the classpath and the application has a
 * {@link DataSource} for it (and {@code idempotency.store.type} is {@code auto} or {@code jdbc}). Like Spring Boot's
 * Flyway auto-configuration with {@code @FlywayDataSource}, the store uses the DataSource qualified with
 * {@link IdempotencyDataSource} when there is one, whatever other DataSources exist; otherwise the application's
 * single (or {@code @Primary}) DataSource. Its table is created at startup according to
 * {@code idempotency.jdbc.initialize-schema}, through the same DataSource, after the application's Flyway or Liquibase
 * migrations, and checked unless {@code idempotency.jdbc.validate-schema} is off. Ordered after the {@code DataSource}
 * auto-configuration of Boot 4 and Boot 3 alike (named, because its package moved).
 */
@AutoConfiguration(afterName = {
        "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
        "org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration"})
@ConditionalOnIdempotencyEnabled
@ConditionalOnClass(name = "dev.idempotency.jdbc.JdbcIdempotencyStore")
@Conditional({IdempotencyJdbcStoreAutoConfiguration.StoreDataSourceCondition.class, OnStoreTypeCondition.Jdbc.class})
@EnableConfigurationProperties(IdempotencyProperties.class)
public class IdempotencyJdbcStoreAutoConfiguration {

    /**
     * Runs after Flyway, Liquibase and SQL script initialization, so it neither creates the table behind the migration
     * tool's back nor checks the table before the tool created it.
     */
    @Bean
    @ConditionalOnMissingBean
    @DependsOnDatabaseInitialization
    public IdempotencySchemaInitializer idempotencySchemaInitializer(ObjectProvider<DataSource> dataSource,
            @IdempotencyDataSource ObjectProvider<DataSource> idempotencyDataSource, IdempotencyProperties properties,
            ListableBeanFactory beanFactory, Environment environment) {
        return new IdempotencySchemaInitializer(storeDataSource(dataSource, idempotencyDataSource),
                properties.getJdbc().getTableName(), properties.getJdbc().getInitializeSchema(),
                migrationSetup(beanFactory, environment), properties.getJdbc().isValidateSchema());
    }

    @Bean
    @ConditionalOnMissingBean(IdempotencyStore.class)
    public JdbcIdempotencyStore idempotencyStore(ObjectProvider<DataSource> dataSource,
            @IdempotencyDataSource ObjectProvider<DataSource> idempotencyDataSource, IdempotencyProperties properties,
            ObjectProvider<IdempotencySchemaInitializer> schemaInitializer) {
        // The table must exist before the store first touches it.
        schemaInitializer.ifAvailable(initializer -> {});
        DataSource storeDataSource = storeDataSource(dataSource, idempotencyDataSource);
        if (SPRING_JDBC_PRESENT) {
            storeDataSource = SpringTransactionalConnections.withoutTransactionProxy(storeDataSource);
        }
        StorePoolTimeoutCheck.warnIfRenewalsCanWaitForTheLease(storeDataSource, properties.getLease());
        JdbcIdempotencyStore.Builder builder = JdbcIdempotencyStore.builder(storeDataSource).tableName(properties.getJdbc().getTableName());
        if (SPRING_JDBC_PRESENT) {
            builder.transactionalConnections(new SpringTransactionalConnections());
        }
        JdbcIdempotencyStore store = builder.build();
        if (properties.getJdbc().isValidateSchema()) {
            // The schema check connected already; detecting the dialect now lets the startup line name it.
            store.dialect();
        }
        return store;
    }

    /**
     * With spring-jdbc present, the store takes the pool behind a {@code TransactionAwareDataSourceProxy} (or fails the
     * startup when the proxy cannot be taken off), and its checkpoints join Spring-managed transactions on that pool.
     * The classes that need spring-jdbc are only touched then.
     */
    private static final boolean SPRING_JDBC_PRESENT = ClassUtils.isPresent(
            "org.springframework.jdbc.datasource.DataSourceUtils", IdempotencyJdbcStoreAutoConfiguration.class.getClassLoader());

    /** Which migration tool runs, and whether the Flyway locations name the shipped migration. */
    static MigrationSetup migrationSetup(ListableBeanFactory beanFactory, Environment environment) {
        String tool = null;
        if (hasBeanOfType(beanFactory, "org.flywaydb.core.Flyway")) {
            tool = "Flyway";
        } else if (hasBeanOfType(beanFactory, "liquibase.integration.spring.SpringLiquibase")) {
            tool = "Liquibase";
        }
        String locations = environment.getProperty("spring.flyway.locations", "");
        return new MigrationSetup(tool, locations.contains("dev/idempotency/jdbc/flyway"));
    }

    private static boolean hasBeanOfType(ListableBeanFactory beanFactory, String className) {
        ClassLoader classLoader = IdempotencyJdbcStoreAutoConfiguration.class.getClassLoader();
        return ClassUtils.isPresent(className, classLoader)
                && beanFactory.getBeanNamesForType(ClassUtils.resolveClassName(className, classLoader), true, false).length > 0;
    }

    private static DataSource storeDataSource(ObjectProvider<DataSource> dataSource,
            ObjectProvider<DataSource> idempotencyDataSource) {
        DataSource chosen = idempotencyDataSource.getIfAvailable(dataSource::getIfUnique);
        if (chosen == null) {
            throw new IllegalStateException("No DataSource for the idempotency store: annotate one with @"
                    + IdempotencyDataSource.class.getSimpleName() + " or mark one @Primary");
        }
        return chosen;
    }

    /** A DataSource qualified for the store, or else a single (or primary) DataSource. */
    static final class StoreDataSourceCondition extends AnyNestedCondition {

        StoreDataSourceCondition() {
            super(ConfigurationPhase.REGISTER_BEAN);
        }

        @ConditionalOnBean(value = DataSource.class, annotation = IdempotencyDataSource.class)
        static final class QualifiedDataSource {
        }

        @ConditionalOnSingleCandidate(DataSource.class)
        static final class SingleDataSource {
        }
    }
}
