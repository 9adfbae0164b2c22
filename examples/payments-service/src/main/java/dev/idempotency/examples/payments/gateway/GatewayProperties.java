package dev.idempotency.examples.payments.gateway;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/** Settings of the fake payment gateway, bound from {@code payments.gateway.*}. */
@ConfigurationProperties(prefix = "payments.gateway")
public class GatewayProperties {

    /**
     * How long the gateway takes to answer a charge, counted after it has recorded the charge. A few seconds leave
     * time to send a duplicate (it gets 409) or to kill the process after the side effect and before the answer.
     */
    private Duration latency = Duration.ZERO;

    public Duration getLatency() {
        return latency;
    }

    public void setLatency(Duration latency) {
        this.latency = latency;
    }
}
