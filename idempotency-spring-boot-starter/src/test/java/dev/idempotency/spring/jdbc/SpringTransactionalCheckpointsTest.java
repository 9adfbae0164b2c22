package dev.idempotency.spring.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idempotency.core.ActiveClaim;
import dev.idempotency.core.IdempotencyEngine;
import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.IdempotentRequest;
import dev.idempotency.core.OutcomePolicy;
import dev.idempotency.core.RequestFingerprint;
import dev.idempotency.core.ResultCodecs;
import dev.idempotency.core.store.ClaimRequest;
import dev.idempotency.core.store.ClaimResult;
import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.core.store.OwnerToken;
import dev.idempotency.core.store.RecoveryPoint;
import dev.idempotency.core.store.RenewResult;
import dev.idempotency.spring.autoconfigure.IdempotencyAutoConfiguration;
import dev.idempotency.spring.autoconfigure.IdempotencyJdbcStoreAutoConfiguration;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DelegatingDataSource;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;
import org.springframework.jdbc.datasource.TransactionAwareDataSourceProxy;
import org.springframework.transaction.UnexpectedRollbackException;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The auto-configured JDBC store inside Spring-managed transactions, on H2: a checkpoint joins the transaction on the
 * store's DataSource, a stale owner's checkpoint leaves it rollback-only, and a {@code TransactionAwareDataSourceProxy}
 * never drags the claim into the caller's transaction. The same cases on PostgreSQL and MariaDB run in the JDBC store's
 * contract suite.
 */
class SpringTransactionalCheckpointsTest {

    private static final RequestFingerprint FINGERPRINT = RequestFingerprint.of("amount=100");

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(IdempotencyJdbcStoreAutoConfiguration.class, IdempotencyAutoConfiguration.class))
            .withPropertyValues("idempotency.purge.enabled=false", "idempotency.jdbc.initialize-schema=always");

    static DataSource h2() {
        DataSource dataSource = new SimpleDriverDataSource(new org.h2.Driver(),
                "jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
        new JdbcTemplate(dataSource).execute("CREATE TABLE payment (id VARCHAR(64) PRIMARY KEY)");
        return dataSource;
    }

    @Configuration(proxyBeanMethods = false)
    static class PlainPool {

        @Bean
        DataSource dataSource() {
            return h2();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class TransactionAwareProxy {

        @Bean
        DataSource dataSource() {
            return new TransactionAwareDataSourceProxy(h2());
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class ProxyBelowAnotherWrapper {

        @Bean
        DataSource dataSource() {
            return new DelegatingDataSource(new TransactionAwareDataSourceProxy(h2()));
        }
    }

    @Test
    void aCheckpointInASpringTransactionCommitsWithTheBusinessRowOrRollsBackWithIt() {
        runner.withUserConfiguration(PlainPool.class).run(context -> {
            DataSource dataSource = context.getBean(DataSource.class);
            TransactionTemplate transactions = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
            JdbcTemplate jdbc = new JdbcTemplate(dataSource);
            ActiveClaim<String> claim = begin(context, "k-commit");

            transactions.executeWithoutResult(status -> {
                jdbc.update("INSERT INTO payment (id) VALUES ('p-1')");
                claim.checkpoint("created", "p-1");
            });
            assertThatThrownBy(() -> transactions.executeWithoutResult(status -> {
                jdbc.update("INSERT INTO payment (id) VALUES ('p-2')");
                claim.checkpoint("charged", "p-2");
                throw new IllegalStateException("the phase failed after its checkpoint");
            })).hasMessage("the phase failed after its checkpoint");

            assertThat(jdbc.queryForList("SELECT id FROM payment", String.class)).containsExactly("p-1");
            assertThat(store(context).find(claim.key()).orElseThrow().lastRecoveryPoint())
                    .contains(new RecoveryPoint("created", "p-1"));
            claim.finish("done");
        });
    }

    @Test
    void aStaleOwnersCheckpointLeavesTheSpringTransactionRollbackOnlyEvenWhenTheWorkGoesOn() {
        runner.withUserConfiguration(PlainPool.class).run(context -> {
            DataSource dataSource = context.getBean(DataSource.class);
            TransactionTemplate transactions = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
            JdbcTemplate jdbc = new JdbcTemplate(dataSource);
            IdempotencyStore store = store(context);
            IdempotencyKey key = IdempotencyKey.of("s", "k-stale");
            OwnerToken stale = staleOwner(store, key);
            AtomicReference<RenewResult> answer = new AtomicReference<>();

            assertThatThrownBy(() -> transactions.executeWithoutResult(status -> {
                jdbc.update("INSERT INTO payment (id) VALUES ('p-stale')");
                answer.set(store.checkpoint(key, stale, RecoveryPoint.of("charged"), Duration.ofMinutes(1)));
            })).isInstanceOf(UnexpectedRollbackException.class);

            assertThat(answer.get()).isInstanceOf(RenewResult.OwnershipLost.class);
            assertThat(jdbc.queryForList("SELECT id FROM payment", String.class)).isEmpty();
            assertThat(store.find(key).orElseThrow().lastRecoveryPoint()).isEmpty();
        });
    }

    /**
     * Like {@code JpaTransactionManager}, which reads the rollback-only mark of its {@code EntityTransaction} and never
     * that of the JDBC connection the checkpoint wrote on: a manager blind to the connection's mark.
     */
    static final class ConnectionMarkBlindTransactionManager extends DataSourceTransactionManager {

        ConnectionMarkBlindTransactionManager(DataSource dataSource) {
            super(dataSource);
        }

        @Override
        protected boolean shouldCommitOnGlobalRollbackOnly() {
            return true;
        }
    }

    @Test
    void aStaleOwnersRowsDoNotCommitWhenTheWorkCatchesOwnershipLostUnderAManagerBlindToTheConnectionsMark() {
        runner.withUserConfiguration(PlainPool.class).run(context -> {
            DataSource dataSource = context.getBean(DataSource.class);
            TransactionTemplate transactions = new TransactionTemplate(new ConnectionMarkBlindTransactionManager(dataSource));
            JdbcTemplate jdbc = new JdbcTemplate(dataSource);
            IdempotencyStore store = store(context);
            IdempotencyKey key = IdempotencyKey.of("s", "k-stale-blind");
            OwnerToken stale = staleOwner(store, key);
            AtomicReference<RenewResult> answer = new AtomicReference<>();

            assertThatThrownBy(() -> transactions.executeWithoutResult(status -> {
                jdbc.update("INSERT INTO payment (id) VALUES ('p-stale-blind')");
                // The work swallows the lost ownership and carries on, as a careless handler would.
                answer.set(store.checkpoint(key, stale, RecoveryPoint.of("charged"), Duration.ofMinutes(1)));
            })).isInstanceOf(IllegalStateException.class).hasMessageContaining("lost the idempotency key");

            assertThat(answer.get()).isInstanceOf(RenewResult.OwnershipLost.class);
            assertThat(jdbc.queryForList("SELECT id FROM payment", String.class)).isEmpty();
            assertThat(store.find(key).orElseThrow().lastRecoveryPoint()).isEmpty();
        });
    }

    @Test
    void aTransactionOnAnotherDataSourceIsNotMarkedByACheckpointOnTheStoresDataSource() {
        runner.withUserConfiguration(PlainPool.class).run(context -> {
            DataSource storeDataSource = context.getBean(DataSource.class);
            DataSource otherDataSource = h2();
            TransactionTemplate otherTransactions = new TransactionTemplate(new DataSourceTransactionManager(otherDataSource));
            IdempotencyStore store = store(context);
            IdempotencyKey key = IdempotencyKey.of("s", "k-other-data-source");
            OwnerToken stale = staleOwner(store, key);
            AtomicReference<RenewResult> answer = new AtomicReference<>();

            otherTransactions.executeWithoutResult(status -> {
                new JdbcTemplate(otherDataSource).update("INSERT INTO payment (id) VALUES ('p-other')");
                // A read on the store's DataSource binds its connection for synchronization only: it auto-commits.
                new JdbcTemplate(storeDataSource).queryForList("SELECT id FROM payment", String.class);
                answer.set(store.checkpoint(key, stale, RecoveryPoint.of("charged"), Duration.ofMinutes(1)));
            });

            assertThat(answer.get()).isInstanceOf(RenewResult.OwnershipLost.class);
            assertThat(new JdbcTemplate(otherDataSource).queryForList("SELECT id FROM payment", String.class))
                    .as("the other DataSource's transaction committed").containsExactly("p-other");
        });
    }

    @Test
    void theClaimNeverRunsInTheCallersTransactionThroughATransactionAwareProxy() {
        runner.withUserConfiguration(TransactionAwareProxy.class).run(context -> {
            assertThat(context).hasNotFailed();
            DataSource proxy = context.getBean(DataSource.class);
            TransactionTemplate transactions = new TransactionTemplate(new DataSourceTransactionManager(proxy));
            JdbcTemplate jdbc = new JdbcTemplate(proxy);
            AtomicReference<ActiveClaim<String>> claimed = new AtomicReference<>();

            transactions.executeWithoutResult(status -> {
                jdbc.update("INSERT INTO payment (id) VALUES ('p-rolled-back')");
                claimed.set(begin(context, "k-proxy"));
                status.setRollbackOnly();
            });

            // The claim committed on its own, and did not commit the caller's row on its way.
            assertThat(jdbc.queryForList("SELECT id FROM payment", String.class)).isEmpty();
            assertThat(store(context).find(IdempotencyKey.of("s", "k-proxy"))).isPresent();
            claimed.get().finish("done");
        });
    }

    @Test
    void aTransactionAwareProxyBelowAnotherWrapperFailsTheStartupWithWhatToChange() {
        runner.withUserConfiguration(ProxyBelowAnotherWrapper.class).run(context -> assertThat(context)
                .hasFailed()
                .getFailure()
                .hasStackTraceContaining("wraps a TransactionAwareDataSourceProxy")
                .hasStackTraceContaining("@IdempotencyDataSource"));
    }

    /** Claims the key with a lease that runs out, then takes it over: the first claim's owner token is stale. */
    private static OwnerToken staleOwner(IdempotencyStore store, IdempotencyKey key) throws InterruptedException {
        OwnerToken stale = store.claim(new ClaimRequest(key, FINGERPRINT, OwnerToken.random(), Duration.ofMillis(50),
                Duration.ofMinutes(10))).record().ownerToken();
        Thread.sleep(200);
        assertThat(store.claim(new ClaimRequest(key, FINGERPRINT, OwnerToken.random(), Duration.ofMinutes(10),
                Duration.ofMinutes(10)))).isInstanceOf(ClaimResult.Acquired.class);
        return stale;
    }

    private static IdempotencyStore store(ApplicationContext context) {
        return context.getBean(IdempotencyStore.class);
    }

    private static ActiveClaim<String> begin(ApplicationContext context, String key) {
        return (ActiveClaim<String>) context.getBean(IdempotencyEngine.class).begin(
                IdempotentRequest.of(IdempotencyKey.of("s", key), FINGERPRINT), ResultCodecs.utf8(), OutcomePolicy.storeAll());
    }
}
