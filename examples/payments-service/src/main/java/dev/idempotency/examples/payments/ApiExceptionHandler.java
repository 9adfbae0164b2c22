package dev.idempotency.examples.payments;

import dev.idempotency.examples.payments.gateway.GatewayUnavailableException;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.MethodArgumentNotValidException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

/**
 * Every error as RFC 9457 problem+json: Spring's own {@link ResponseEntityExceptionHandler} for the standard ones,
 * with the failing fields added to a validation problem, and 502 for a refused gateway call.
 *
 * <p>The 502 is not stored by the idempotency starter (unless {@code idempotency.store-server-errors} is on): it
 * releases the key, so the client may retry with the same key.
 */
@RestControllerAdvice
class ApiExceptionHandler extends ResponseEntityExceptionHandler {

    static final URI GATEWAY_UNAVAILABLE = URI.create("https://payments.example/problems/gateway-unavailable");

    @ExceptionHandler(GatewayUnavailableException.class)
    ProblemDetail gatewayUnavailable(GatewayUnavailableException e) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_GATEWAY, e.getMessage());
        problem.setType(GATEWAY_UNAVAILABLE);
        problem.setTitle("Payment gateway unavailable");
        return problem;
    }

    @Override
    protected ResponseEntity<Object> handleMethodArgumentNotValid(MethodArgumentNotValidException e,
            HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        ProblemDetail problem = e.getBody();
        List<Map<String, String>> errors = e.getBindingResult().getFieldErrors().stream()
                .map(error -> Map.of("field", error.getField(), "message", String.valueOf(error.getDefaultMessage())))
                .toList();
        problem.setProperty("errors", errors);
        return handleExceptionInternal(e, problem, headers, status, request);
    }
}
