package dev.idempotency.spring.health;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/** The store's health indicator ({@code idempotency.health.*}); it is disabled with {@code management.health.idempotency.enabled=false}. */
@ConfigurationProperties("idempotency.health")
public class IdempotencyHealthProperties {

    /**
     * How long the health check waits for the store to answer a cheap read before it reports the store down. Keep it
     * below the timeout of whatever polls the health endpoint (a Kubernetes probe's {@code timeoutSeconds}).
     */
    private Duration timeout = Duration.ofSeconds(2);

    /**
     * Whether the store's health is part of the readiness group ({@code /actuator/health/readiness}), so that a pod
     * whose store is down stops receiving traffic. Off by default: a store outage already answers 503 per protected
     * request, and a shared database that is down would make every pod unready at once, turning away the requests
     * that need no store too. The liveness group never includes it: restarting pods does not bring a database back.
     */
    private boolean readinessGroup = false;

    public Duration getTimeout() {
        return timeout;
    }

    public void setTimeout(Duration timeout) {
        this.timeout = timeout;
    }

    public boolean isReadinessGroup() {
        return readinessGroup;
    }

    public void setReadinessGroup(boolean readinessGroup) {
        this.readinessGroup = readinessGroup;
    }
}
