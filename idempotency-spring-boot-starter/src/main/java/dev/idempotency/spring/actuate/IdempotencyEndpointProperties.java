package dev.idempotency.spring.actuate;

import org.springframework.boot.context.properties.ConfigurationProperties;

/** The {@code idempotency} actuator endpoint ({@code management.endpoint.idempotency.*}). */
@ConfigurationProperties("management.endpoint.idempotency")
public class IdempotencyEndpointProperties {

    /**
     * Whether reading a record shows the stored response's headers and body. Off by default: they are the
     * application's data (payment details, personal data), and an operator mostly needs the status and size, which are
     * always shown.
     */
    private boolean showResponse = false;

    public boolean isShowResponse() {
        return showResponse;
    }

    public void setShowResponse(boolean showResponse) {
        this.showResponse = showResponse;
    }
}
