package dev.idempotency.spring.autoconfigure;

import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.core.store.memory.InMemoryIdempotencyStore;
import dev.idempotency.spring.IdempotencyProperties;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import javax.sql.DataSource;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.config.ConfigurableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.util.ClassUtils;

/**
 * The fallback store: in memory, when no other {@link IdempotencyStore} exists (no JDBC store on the classpath, no
 * {@code DataSource}, or {@code idempotency.store.type=memory}). It logs a warning, because records are neither
 * shared between instances nor kept across restarts. It holds at most {@code idempotency.memory.max-records}
 * records.
 */
@AutoConfiguration(after = {IdempotencyJdbcStoreAutoConfiguration.class, IdempotencyRedisStoreAutoConfiguration.class})
@ConditionalOnIdempotencyEnabled
@Conditional(OnStoreTypeCondition.Memory.class)
@EnableConfigurationProperties(IdempotencyProperties.class)
public class IdempotencyInMemoryStoreAutoConfiguration {

    private static final Log log = LogFactory.getLog(IdempotencyInMemoryStoreAutoConfiguration.class);

    @Bean
    @ConditionalOnMissingBean(IdempotencyStore.class)
    public InMemoryIdempotencyStore idempotencyStore(IdempotencyProperties properties, ListableBeanFactory beanFactory) {
        String why = whyInMemory(properties, beanFactory);
        if (why == null) {
            log.info("Idempotency keys are kept in memory, as idempotency.store.type=memory says: one instance only, "
                    + "keys lost on restart.");
        } else {
            log.warn("Idempotency keys are kept in memory, because " + why + ". This only works for a single "
                    + "application instance, and keys are lost on restart.");
        }
        return new InMemoryIdempotencyStore(properties.getMemory().getMaxRecords());
    }

    /** The exact piece missing for a shared store, or {@code null} when memory was asked for. */
    static String whyInMemory(IdempotencyProperties properties, ListableBeanFactory beanFactory) {
        if (properties.getStore().getType() == IdempotencyProperties.StoreType.MEMORY) {
            return null;
        }
        ClassLoader classLoader = beanFactory instanceof ConfigurableBeanFactory configurable
                ? configurable.getBeanClassLoader() : IdempotencyInMemoryStoreAutoConfiguration.class.getClassLoader();
        if (!ClassUtils.isPresent("dev.idempotency.jdbc.JdbcIdempotencyStore", classLoader)) {
            return "idempotency-jdbc-store is not on the classpath: add it, with a DataSource, for a shared store "
                    + "(or define an IdempotencyStore bean)";
        }
        String[] dataSources = beanFactory.getBeanNamesForType(DataSource.class, true, false);
        if (dataSources.length == 0) {
            return "idempotency-jdbc-store is on the classpath but the application has no DataSource: add a DataSource "
                    + "starter (spring-boot-starter-jdbc) and a JDBC driver, and set spring.datasource.url for a "
                    + "database that is not embedded";
        }
        return "idempotency-jdbc-store is on the classpath but none of the application's " + dataSources.length
                + " DataSources " + java.util.Arrays.toString(dataSources) + " is marked for it: mark the store's with "
                + "@IdempotencyDataSource or the application's main one with @Primary";
    }
}
