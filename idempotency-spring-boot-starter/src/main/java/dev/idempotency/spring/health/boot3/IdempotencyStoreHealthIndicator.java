package dev.idempotency.spring.health.boot3;

import dev.idempotency.spring.health.StoreProbe;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;

/**
 * The store's health, for Spring Boot 3, whose health API is in {@code spring-boot-actuator} (the twin of
 * {@link dev.idempotency.spring.health.IdempotencyStoreHealthIndicator} for Boot 4): up when the store answers a
 * cheap read within {@code idempotency.health.timeout}, down when it fails or does not answer in time. Details: how
 * long the probe took, and the error or the timeout when down.
 *
 * <p>It is not part of the liveness group, and part of the readiness group only with
 * {@code idempotency.health.readiness-group=true}: while the store is down, every protected request is already
 * answered with 503 {@code store-unavailable} (or runs unprotected with {@code fail-open}), and restarting or
 * unreadying every pod because a shared database is down would turn a partial outage into a full one.
 */
public class IdempotencyStoreHealthIndicator implements HealthIndicator {

    private final StoreProbe probe;

    public IdempotencyStoreHealthIndicator(StoreProbe probe) {
        this.probe = probe;
    }

    @Override
    public Health health() {
        StoreProbe.Result result = probe.probe();
        Health.Builder health;
        if (result instanceof StoreProbe.Result.Failed failed) {
            health = Health.down().withDetail("error", describe(failed.error()));
        } else if (result instanceof StoreProbe.Result.NoAnswer noAnswer) {
            health = Health.down()
                    .withDetail("error", "the store did not answer within " + noAnswer.timeout().toMillis() + " ms");
        } else {
            health = Health.up();
        }
        return health.withDetail("elapsedMillis", result.elapsed().toMillis()).build();
    }

    private static String describe(Throwable error) {
        return error.getClass().getName() + (error.getMessage() == null ? "" : ": " + error.getMessage());
    }
}
