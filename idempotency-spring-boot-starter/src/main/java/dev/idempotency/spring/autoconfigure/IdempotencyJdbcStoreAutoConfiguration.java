package dev.idempotency.spring.autoconfigure;

import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.spring.IdempotencyProperties;
import dev.idempotency.spring.jdbc.IdempotencySchemaInitializer;
import javax.sql.DataSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;

/**
 * The JDBC store, when {@code idempotency-jdbc-store} is on the classpath and the application has a single
 * {@link DataSource} (and {@code idempotency.store.type} is {@code auto} or {@code jdbc}). Its table is created at
 * startup according to {@code idempotency.jdbc.initialize-schema}. Ordered after the {@code DataSource}
 * auto-configuration of Boot 4 and Boot 3 alike (named, because its package moved).
 */
@AutoConfiguration(afterName = {
        "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
        "org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration"})
@ConditionalOnIdempotencyEnabled
@ConditionalOnClass(name = "dev.idempotency.jdbc.JdbcIdempotencyStore")
@ConditionalOnSingleCandidate(DataSource.class)
@Conditional(OnStoreTypeCondition.Jdbc.class)
@EnableConfigurationProperties(IdempotencyProperties.class)
public class IdempotencyJdbcStoreAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    public IdempotencySchemaInitializer idempotencySchemaInitializer(DataSource dataSource, IdempotencyProperties properties) {
        return new IdempotencySchemaInitializer(dataSource, properties.getJdbc().getTableName(),
                properties.getJdbc().getInitializeSchema());
    }

    @Bean
    @ConditionalOnMissingBean(IdempotencyStore.class)
    public JdbcIdempotencyStore idempotencyStore(DataSource dataSource, IdempotencyProperties properties,
            ObjectProvider<IdempotencySchemaInitializer> schemaInitializer) {
        // The table must exist before the store first touches it.
        schemaInitializer.ifAvailable(initializer -> {});
        return JdbcIdempotencyStore.builder(dataSource).tableName(properties.getJdbc().getTableName()).build();
    }
}
