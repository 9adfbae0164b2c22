package dev.idempotency.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.core.IdempotencyEngine;
import dev.idempotency.spring.IdempotencyProperties;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** {@code idempotency.renewal-timeout}: bound to the engine, derived from the heartbeat interval when unset. */
class RenewalTimeoutPropertyTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(
            IdempotencyInMemoryStoreAutoConfiguration.class, IdempotencyAutoConfiguration.class));

    @Test
    void byDefaultARenewalMayTakeHalfTheHeartbeatInterval() {
        runner.run(context -> {
            assertThat(context.getBean(IdempotencyProperties.class).getRenewalTimeout()).isNull();
            // Default lease 30 s, heartbeat every 10 s.
            assertThat(context.getBean(IdempotencyEngine.class).renewalTimeout()).isEqualTo(Duration.ofSeconds(5));
        });
        runner.withPropertyValues("idempotency.lease=60s", "idempotency.heartbeat-interval=4s")
                .run(context -> assertThat(context.getBean(IdempotencyEngine.class).renewalTimeout())
                        .isEqualTo(Duration.ofSeconds(2)));
    }

    @Test
    void thePropertySetsTheEnginesRenewalTimeout() {
        runner.withPropertyValues("idempotency.renewal-timeout=3s").run(context -> {
            assertThat(context.getBean(IdempotencyProperties.class).getRenewalTimeout()).isEqualTo(Duration.ofSeconds(3));
            assertThat(context.getBean(IdempotencyEngine.class).renewalTimeout()).isEqualTo(Duration.ofSeconds(3));
        });
    }

    @Test
    void aRenewalTimeoutThatIsNotShorterThanTheLeaseFailsStartup() {
        runner.withPropertyValues("idempotency.lease=10s", "idempotency.renewal-timeout=10s")
                .run(context -> assertThat(context).hasFailed().getFailure().rootCause()
                        .hasMessageContaining("renewalTimeout"));
    }
}
