package dev.idempotency.examples.orders.webhook;

import dev.idempotency.spring.method.IdempotencyInProgressException;
import dev.idempotency.spring.method.IdempotencyKeyReusedException;
import java.util.Map;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * Receives a payment provider's webhooks. The provider retries until it gets a 2xx, so a redelivered event is
 * answered 200 without being booked twice (the handler's {@code @Idempotent}); an event still being handled gets 409
 * so the provider retries later. A real receiver verifies the provider's signature header before anything else.
 */
@RestController
class PaymentWebhookController {

    private final PaymentEventHandler handler;

    PaymentWebhookController(PaymentEventHandler handler) {
        this.handler = handler;
    }

    @PostMapping("/webhooks/payments")
    Map<String, Object> receive(@RequestBody PaymentEvent event) {
        handler.handle(event);
        return Map.of("received", true);
    }

    @ExceptionHandler
    ResponseEntity<ProblemDetail> inProgress(IdempotencyInProgressException e) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.CONFLICT, "This event is being handled; retry later.");
        return ResponseEntity.status(HttpStatus.CONFLICT)
                .header(HttpHeaders.RETRY_AFTER, Long.toString(e.retryAfter().toSeconds()))
                .body(problem);
    }

    @ExceptionHandler
    ResponseEntity<ProblemDetail> reused(IdempotencyKeyReusedException e) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.UNPROCESSABLE_CONTENT,
                "This event id was already received with different content.");
        return ResponseEntity.unprocessableContent().body(problem);
    }
}
