package dev.idempotency.spring.health;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.core.store.IdempotencyStoreException;
import dev.idempotency.spring.autoconfigure.IdempotencyAutoConfiguration;
import dev.idempotency.spring.autoconfigure.IdempotencyBoot3HealthAutoConfiguration;
import dev.idempotency.spring.autoconfigure.IdempotencyHealthAutoConfiguration;
import dev.idempotency.spring.autoconfigure.IdempotencyInMemoryStoreAutoConfiguration;
import dev.idempotency.spring.health.boot3.IdempotencyStoreHealthIndicator;
import dev.idempotency.spring.health.boot3.ReadinessGroupMembership;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * The store's health indicator on Spring Boot 3's health API ({@code org.springframework.boot.actuate.health}). Here
 * rather than among the shared tests because that API exists on Boot 3 only; compat/spring-boot-4 has the Boot 4 twin.
 * Both auto-configurations are registered, as in an application, and only this line's one applies.
 */
class IdempotencyBoot3HealthAutoConfigurationTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(IdempotencyInMemoryStoreAutoConfiguration.class,
                    IdempotencyAutoConfiguration.class, IdempotencyHealthAutoConfiguration.class,
                    IdempotencyBoot3HealthAutoConfiguration.class))
            .withPropertyValues("idempotency.purge.enabled=false");

    @Test
    void theStoreHealthIndicatorIsThereAndOutOfTheReadinessGroupByDefault() {
        runner.run(context -> {
            assertThat(context).hasBean("idempotencyHealthIndicator").hasSingleBean(IdempotencyStoreHealthIndicator.class)
                    .doesNotHaveBean(ReadinessGroupMembership.class);
            assertThat(context.getBean(IdempotencyStoreHealthIndicator.class).health().getStatus().getCode()).isEqualTo("UP");
            assertThat(context.getBean(IdempotencyHealthProperties.class).getTimeout()).isEqualTo(Duration.ofSeconds(2));
        });
    }

    @Test
    void theReadinessGroupIncludesItOnlyWhenAskedTo() {
        runner.withPropertyValues("idempotency.health.readiness-group=true", "idempotency.health.timeout=500ms")
                .run(context -> {
                    assertThat(context).hasSingleBean(ReadinessGroupMembership.class);
                    assertThat(context.getBean(IdempotencyHealthProperties.class).getTimeout()).isEqualTo(Duration.ofMillis(500));
                });
    }

    @Test
    void itCanBeSwitchedOffLikeAnyHealthIndicator() {
        runner.withPropertyValues("management.health.idempotency.enabled=false")
                .run(context -> assertThat(context).doesNotHaveBean(IdempotencyStoreHealthIndicator.class));
    }

    @Test
    void itBacksOffToTheApplicationsOwnIndicator() {
        runner.withBean("idempotencyHealthIndicator", org.springframework.boot.actuate.health.HealthIndicator.class,
                () -> () -> Health.up().withDetail("own", true).build())
                .run(context -> assertThat(context).doesNotHaveBean(IdempotencyStoreHealthIndicator.class));
    }

    @Test
    void itReportsDownWithTheStoresError() {
        StoreProbeTest.ControlledStore store = new StoreProbeTest.ControlledStore();
        store.failure = new IdempotencyStoreException("connection refused");
        IdempotencyStoreHealthIndicator indicator = new IdempotencyStoreHealthIndicator(new StoreProbe(store, Duration.ofSeconds(5)));

        Health health = indicator.health();

        assertThat(health.getStatus().getCode()).isEqualTo("DOWN");
        assertThat(health.getDetails().get("error").toString()).contains("connection refused");
        assertThat(health.getDetails()).containsKey("elapsedMillis");
    }

    @Test
    void itReportsDownWhenTheStoreDoesNotAnswerInTime() {
        StoreProbeTest.ControlledStore store = new StoreProbeTest.ControlledStore();
        store.hang = new java.util.concurrent.CountDownLatch(1);
        IdempotencyStoreHealthIndicator indicator = new IdempotencyStoreHealthIndicator(new StoreProbe(store, Duration.ofMillis(100)));
        try {
            Health health = indicator.health();

            assertThat(health.getStatus().getCode()).isEqualTo("DOWN");
            assertThat(health.getDetails().get("error")).isEqualTo("the store did not answer within 100 ms");
        } finally {
            store.hang.countDown();
        }
    }
}
