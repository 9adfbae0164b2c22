package dev.idempotency.spring.method;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.store.IdempotencyRecord;
import dev.idempotency.core.store.IdempotencyStatus;
import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.spring.Idempotent;
import dev.idempotency.spring.autoconfigure.IdempotencyAutoConfiguration;
import dev.idempotency.spring.autoconfigure.IdempotencyInMemoryStoreAutoConfiguration;
import dev.idempotency.spring.autoconfigure.IdempotentMethodAutoConfiguration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.annotation.EnableTransactionManagement;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * The claim wraps a {@code @Transactional} method's transaction: when the transaction commits, the key is still in
 * progress, and it is completed only afterwards, so a failing commit could still release it.
 */
class IdempotentMethodTransactionTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(IdempotencyInMemoryStoreAutoConfiguration.class,
                    IdempotencyAutoConfiguration.class, IdempotentMethodAutoConfiguration.class))
            .withUserConfiguration(Transactions.class)
            .withBean(Booking.class);

    @Configuration(proxyBeanMethods = false)
    @EnableTransactionManagement
    static class Transactions {

        @Bean
        DataSource dataSource() {
            JdbcDataSource dataSource = new JdbcDataSource();
            dataSource.setURL("jdbc:h2:mem:idempotent-method-transaction;DB_CLOSE_DELAY=-1");
            return dataSource;
        }

        @Bean
        PlatformTransactionManager transactionManager(DataSource dataSource) {
            return new DataSourceTransactionManager(dataSource);
        }
    }

    public static class Booking {

        final List<IdempotencyStatus> statusAtCommit;
        private final IdempotencyStore store;

        public Booking(IdempotencyStore store) {
            this.store = store;
            this.statusAtCommit = new CopyOnWriteArrayList<>();
        }

        @Idempotent(key = "#id", keyScope = "bookings")
        @Transactional
        public void book(String id) {
            IdempotencyKey key = IdempotentMethodContext.current().key();
            List<IdempotencyStatus> seen = statusAtCommit();
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCommit() {
                    seen.add(store.find(key).map(IdempotencyRecord::status).orElseThrow());
                }
            });
        }

        public List<IdempotencyStatus> statusAtCommit() {
            return statusAtCommit;
        }
    }

    @Test
    void theTransactionCommitsWhileTheKeyIsStillInProgress() {
        runner.run(context -> {
            Booking booking = context.getBean(Booking.class);
            booking.book("b-1");
            assertThat(booking.statusAtCommit()).containsExactly(IdempotencyStatus.IN_PROGRESS);
            assertThat(context.getBean(IdempotencyStore.class).find(IdempotencyKey.of("bookings", "b-1")))
                    .hasValueSatisfying(record -> assertThat(record.status()).isEqualTo(IdempotencyStatus.COMPLETED));
        });
    }
}
