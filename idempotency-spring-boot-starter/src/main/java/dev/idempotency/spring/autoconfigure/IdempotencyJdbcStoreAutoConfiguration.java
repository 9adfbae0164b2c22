package dev.idempotency.spring.autoconfigure;

import dev.idempotency.spring.IdempotencyProperties;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Conditional;

/**
 * The JDBC store, when {@code idempotency-jdbc-store} is on the classpath and the application has a single
 * {@code DataSource}. Placeholder until the JDBC store module is available.
 */
@AutoConfiguration(afterName = {
        "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
        "org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration"})
@ConditionalOnIdempotencyEnabled
@ConditionalOnClass(name = "dev.idempotency.jdbc.JdbcIdempotencyStore")
@Conditional(OnStoreTypeCondition.Jdbc.class)
@EnableConfigurationProperties(IdempotencyProperties.class)
public class IdempotencyJdbcStoreAutoConfiguration {
}
