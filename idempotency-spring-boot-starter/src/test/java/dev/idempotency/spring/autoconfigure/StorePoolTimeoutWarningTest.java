package dev.idempotency.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.spring.IdempotencyDataSource;
import dev.idempotency.spring.SpringBootLine;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;

/** The startup warning about a store pool whose connection timeout is at least half the lease. */
@ExtendWith(OutputCaptureExtension.class)
class StorePoolTimeoutWarningTest {

    private static final String WARNING = "lets a lease renewal wait up to";

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(SpringBootLine.DATA_SOURCE_AUTO_CONFIGURATION,
                    IdempotencyJdbcStoreAutoConfiguration.class, IdempotencyInMemoryStoreAutoConfiguration.class,
                    IdempotencyAutoConfiguration.class))
            .withPropertyValues("spring.datasource.url=jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1",
                    "spring.datasource.generate-unique-name=false", "spring.datasource.hikari.pool-name=app-pool");

    @Test
    void hikarisDefaultTimeoutAgainstTheDefaultLeaseWarnsOnceNamingBothValuesAndBothFixes(CapturedOutput output) {
        runner.run(context -> {
            assertThat(context).hasSingleBean(JdbcIdempotencyStore.class);
            assertThat(context.getBean(DataSource.class)).isInstanceOf(HikariDataSource.class);
        });

        assertThat(output.getOut().split(WARNING, -1)).hasSize(2);
        assertThat(output).contains("WARN", "HikariCP pool 'app-pool'", "wait up to 30 s for a connection",
                "at least half the 30 s lease", "@IdempotencyDataSource", "below 15 s",
                "spring.datasource.hikari.connection-timeout");
    }

    @Test
    void aConnectionTimeoutOfAtLeastHalfTheLeaseWarns(CapturedOutput output) {
        runner.withPropertyValues("idempotency.lease=10s", "spring.datasource.hikari.connection-timeout=5000")
                .run(context -> assertThat(context).hasSingleBean(JdbcIdempotencyStore.class));

        assertThat(output).contains("wait up to 5 s for a connection, at least half the 10 s lease");
    }

    @Test
    void aConnectionTimeoutWellUnderTheLeaseDoesNotWarn(CapturedOutput output) {
        runner.withPropertyValues("spring.datasource.hikari.connection-timeout=14999")
                .run(context -> assertThat(context).hasSingleBean(JdbcIdempotencyStore.class));
        runner.withPropertyValues("idempotency.lease=2m")
                .run(context -> assertThat(context).hasSingleBean(JdbcIdempotencyStore.class));

        assertThat(output).doesNotContain(WARNING);
    }

    @Test
    void onlyTheStoresOwnPoolCounts(CapturedOutput output) {
        // The application's pool keeps Hikari's 30 s default; the store's pool gives up after 2 s.
        runner.withUserConfiguration(ShortTimeoutStorePool.class).run(context -> {
            assertThat(context).hasSingleBean(JdbcIdempotencyStore.class);
            assertThat(((HikariDataSource) context.getBean(DataSource.class)).getConnectionTimeout()).isEqualTo(30_000);
        });

        assertThat(output).doesNotContain(WARNING);
    }

    @Test
    void aStorePoolThatWaitsTooLongIsNamed(CapturedOutput output) {
        runner.withPropertyValues("spring.datasource.hikari.connection-timeout=1000")
                .withUserConfiguration(LongTimeoutStorePool.class)
                .run(context -> assertThat(context).hasSingleBean(JdbcIdempotencyStore.class));

        assertThat(output).contains("HikariCP pool 'idempotency-store'", "wait up to 20 s for a connection")
                .doesNotContain("app-pool");
    }

    @Test
    void withoutHikariOnTheClasspathNothingIsChecked(CapturedOutput output) {
        runner.withClassLoader(new FilteredClassLoader("com.zaxxer.hikari"))
                .withBean(DataSource.class, () -> new SimpleDriverDataSource(new org.h2.Driver(),
                        "jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1"))
                .run(context -> assertThat(context).hasNotFailed().hasSingleBean(JdbcIdempotencyStore.class));

        assertThat(output).doesNotContain(WARNING);
    }

    private static HikariDataSource h2Pool(String name, long connectionTimeoutMillis) {
        HikariDataSource pool = new HikariDataSource();
        pool.setJdbcUrl("jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
        pool.setPoolName(name);
        pool.setMaximumPoolSize(2);
        pool.setConnectionTimeout(connectionTimeoutMillis);
        return pool;
    }

    @Configuration(proxyBeanMethods = false)
    static class ShortTimeoutStorePool {

        @Bean(defaultCandidate = false)
        @IdempotencyDataSource
        HikariDataSource storeDataSource() {
            return h2Pool("idempotency-store", 2_000);
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class LongTimeoutStorePool {

        @Bean(defaultCandidate = false)
        @IdempotencyDataSource
        HikariDataSource storeDataSource() {
            return h2Pool("idempotency-store", 20_000);
        }
    }
}
