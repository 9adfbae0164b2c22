package dev.idempotency.examples.payments;

import dev.idempotency.examples.payments.gateway.GatewayUnavailableException;
import java.net.URI;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * Turns a refused gateway call into 502 problem+json. The idempotency starter does not store 5xx responses (unless
 * {@code idempotency.store-server-errors} is on): it releases the key, so the client can retry with the same key.
 */
@RestControllerAdvice
class GatewayErrorHandler {

    static final URI GATEWAY_UNAVAILABLE = URI.create("https://payments.example/problems/gateway-unavailable");

    @ExceptionHandler(GatewayUnavailableException.class)
    ProblemDetail gatewayUnavailable(GatewayUnavailableException e) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_GATEWAY, e.getMessage());
        problem.setType(GATEWAY_UNAVAILABLE);
        problem.setTitle("Payment gateway unavailable");
        return problem;
    }
}
