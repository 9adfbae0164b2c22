package dev.idempotency.spring.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.idempotency.core.ActiveClaim;
import dev.idempotency.core.IdempotencyClaim;
import dev.idempotency.core.IdempotencyEngine;
import dev.idempotency.core.IdempotencyOutcome;
import dev.idempotency.core.IdempotencyOutcome.Completion;
import dev.idempotency.core.IdempotentRequest;
import dev.idempotency.core.OutcomePolicy;
import dev.idempotency.core.RequestFingerprint;
import dev.idempotency.core.ResultCodecs;
import dev.idempotency.jdbc.JdbcIdempotencySchema;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.spring.IdempotencyDataSource;
import dev.idempotency.spring.SpringBootLine;
import dev.idempotency.spring.autoconfigure.IdempotencyAutoConfiguration;
import dev.idempotency.spring.autoconfigure.IdempotencyInMemoryStoreAutoConfiguration;
import dev.idempotency.spring.autoconfigure.IdempotencyJdbcStoreAutoConfiguration;
import java.sql.Connection;
import java.time.Duration;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

/**
 * Lease renewals against a connection pool that the application keeps busy, on a real PostgreSQL. One instance
 * claims a key; then its application code takes every connection of the (one-connection) pool and holds them for
 * three leases, as a burst of slow requests would. A second instance, with its own connections, keeps retrying the
 * key.
 *
 * <p>Sharing the application's pool, whose connection timeout equals the lease (HikariCP's and the lease's defaults
 * are both 30 s; here both are scaled down to 4 s), no renewal gets a connection: the lease lapses and the second
 * instance takes the key over while the first still works on it. With the store on a pool of its own
 * ({@link IdempotencyDataSource}) the renewals keep flowing, the lease holds, and no takeover happens.
 */
class StorePoolStarvationPostgresIT {

    private static final PostgresTestDatabase DATABASE = PostgresTestDatabase.createSchema();
    private static final Duration LEASE = Duration.ofSeconds(4);
    private static final RequestFingerprint PAYLOAD = RequestFingerprint.of("amount=100");

    private static IdempotencyEngine otherInstance;

    private final ApplicationContextRunner instance = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(SpringBootLine.DATA_SOURCE_AUTO_CONFIGURATION,
                    IdempotencyJdbcStoreAutoConfiguration.class, IdempotencyInMemoryStoreAutoConfiguration.class,
                    IdempotencyAutoConfiguration.class))
            .withPropertyValues("spring.datasource.url=" + DATABASE.url(),
                    "spring.datasource.username=" + DATABASE.user,
                    "spring.datasource.password=" + DATABASE.password,
                    "spring.datasource.hikari.pool-name=application",
                    "spring.datasource.hikari.maximum-pool-size=1",
                    "spring.datasource.hikari.connection-timeout=" + LEASE.toMillis(),
                    "idempotency.lease=" + LEASE.toMillis() + "ms",
                    "idempotency.jdbc.initialize-schema=never");

    @BeforeAll
    static void createTableAndTheOtherInstance() {
        DriverManagerDataSource connections = new DriverManagerDataSource(DATABASE.url(), DATABASE.user, DATABASE.password);
        JdbcIdempotencySchema.create(connections, JdbcIdempotencySchema.DEFAULT_TABLE_NAME);
        otherInstance = IdempotencyEngine.builder(JdbcIdempotencyStore.builder(connections).build()).lease(LEASE).build();
    }

    @AfterAll
    static void dropSchema() {
        if (otherInstance != null) {
            otherInstance.close();
        }
        DATABASE.dropSchema();
    }

    @Test
    void sharingTheApplicationsSaturatedPoolTheLeaseLapsesAndAnotherInstanceTakesTheKeyOver() {
        instance.run(context -> {
            assertThat(context).hasSingleBean(JdbcIdempotencyStore.class);
            IdempotentRequest request = newRequest();
            ActiveClaim<String> claim = claim(context.getBean(IdempotencyEngine.class), request);

            boolean takenOver = whileTheApplicationHoldsItsPool(context.getBean(DataSource.class),
                    () -> otherInstanceTakesOver(request));

            assertThat(takenOver).as("the other instance took the key over while the first still ran").isTrue();
            // The first instance learns it at its next heartbeat: its lease ran out unrenewed, or a renewal, once the
            // pool is free again, finds the key owned by the other instance.
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (!claim.ownershipLost() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(claim.ownershipLost()).isTrue();
            assertThat(claim.finish("first instance").completion()).isEqualTo(Completion.OWNERSHIP_LOST);
        });
    }

    @Test
    void withItsOwnPoolTheStoreKeepsTheLeaseAndNoTakeoverHappens() {
        instance.withUserConfiguration(StorePool.class).run(context -> {
            assertThat(context).hasSingleBean(JdbcIdempotencyStore.class);
            assertThat(((HikariDataSource) context.getBean(DataSource.class)).getPoolName()).isEqualTo("application");
            IdempotentRequest request = newRequest();
            ActiveClaim<String> claim = claim(context.getBean(IdempotencyEngine.class), request);

            boolean takenOver = whileTheApplicationHoldsItsPool(context.getBean(DataSource.class),
                    () -> otherInstanceTakesOver(request));

            assertThat(takenOver).as("the other instance took the key over").isFalse();
            assertThat(claim.ownershipLost()).isFalse();
            assertThat(claim.finish("first instance").completion()).isEqualTo(Completion.STORED);
            IdempotencyOutcome<String> retry = otherInstance.execute(request, ResultCodecs.utf8(), work -> "ran twice");
            assertThat(((IdempotencyOutcome.Replayed<String>) retry).result()).isEqualTo("first instance");
        });
    }

    /**
     * The store's own small pool, built as docs/stores.md shows: on the application's database settings (Boot's
     * DataSourceProperties, whose package depends on the Boot line), with
     * {@code defaultCandidate = false} so that Spring Boot still configures the application's pool.
     */
    @Configuration(proxyBeanMethods = false)
    static class StorePool {

        @Bean(defaultCandidate = false)
        @IdempotencyDataSource
        HikariDataSource idempotencyDataSource(BeanFactory beans) {
            HikariDataSource pool = SpringBootLine.applicationDataSourceBuilder(beans).type(HikariDataSource.class).build();
            pool.setPoolName("idempotency");
            pool.setMaximumPoolSize(2);
            pool.setConnectionTimeout(1_000);
            return pool;
        }
    }

    private static IdempotentRequest newRequest() {
        return IdempotentRequest.of("starvation", UUID.randomUUID().toString(), PAYLOAD).withInFlightWait(Duration.ZERO);
    }

    private static ActiveClaim<String> claim(IdempotencyEngine engine, IdempotentRequest request) {
        IdempotencyClaim<String> claim = engine.begin(request, ResultCodecs.utf8(), OutcomePolicy.storeAll());
        assertThat(claim).isInstanceOf(ActiveClaim.class);
        return (ActiveClaim<String>) claim;
    }

    /** Holds every connection of the application's one-connection pool for three leases while {@code during} runs. */
    private static boolean whileTheApplicationHoldsItsPool(DataSource applicationPool, java.util.function.BooleanSupplier during)
            throws Exception {
        try (Connection held = applicationPool.getConnection()) {
            return during.getAsBoolean();
        }
    }

    /** Retries the key from the other instance for three leases; {@code true} once it acquired the key. */
    private static boolean otherInstanceTakesOver(IdempotentRequest request) {
        long deadline = System.nanoTime() + LEASE.multipliedBy(3).toNanos();
        while (System.nanoTime() < deadline) {
            IdempotencyClaim<String> retry = otherInstance.begin(request, ResultCodecs.utf8(), OutcomePolicy.storeAll());
            if (retry instanceof ActiveClaim<String> acquired) {
                assertThat(acquired.isTakeover()).isTrue();
                acquired.finish("other instance");
                return true;
            }
            assertThat(retry).isInstanceOf(IdempotencyOutcome.InProgress.class);
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }
}
