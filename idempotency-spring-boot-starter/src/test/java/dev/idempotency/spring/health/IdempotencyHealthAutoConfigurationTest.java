package dev.idempotency.spring.health;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.spring.autoconfigure.IdempotencyAutoConfiguration;
import dev.idempotency.spring.autoconfigure.IdempotencyHealthAutoConfiguration;
import dev.idempotency.spring.autoconfigure.IdempotencyInMemoryStoreAutoConfiguration;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

class IdempotencyHealthAutoConfigurationTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(IdempotencyInMemoryStoreAutoConfiguration.class,
                    IdempotencyAutoConfiguration.class, IdempotencyHealthAutoConfiguration.class))
            .withPropertyValues("idempotency.purge.enabled=false");

    @Test
    void theStoreHealthIndicatorIsThereAndOutOfTheReadinessGroupByDefault() {
        runner.run(context -> {
            assertThat(context).hasBean("idempotencyHealthIndicator").doesNotHaveBean(ReadinessGroupMembership.class);
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
        runner.withBean("idempotencyHealthIndicator", org.springframework.boot.health.contributor.HealthIndicator.class,
                () -> () -> Health.up().withDetail("own", true).build())
                .run(context -> assertThat(context).doesNotHaveBean(IdempotencyStoreHealthIndicator.class));
    }
}
