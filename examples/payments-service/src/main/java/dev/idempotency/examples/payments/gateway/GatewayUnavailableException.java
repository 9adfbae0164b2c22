package dev.idempotency.examples.payments.gateway;

/**
 * The gateway refused the charge and recorded nothing, so the caller may try again later with the same key.
 */
public class GatewayUnavailableException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public GatewayUnavailableException(String message) {
        super(message);
    }
}
