package dev.idempotency.examples.payments.payment;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.spring.Idempotent;
import dev.idempotency.spring.web.IdempotencyFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.validation.Valid;
import java.net.URI;
import java.security.Principal;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;

/** {@code /payments}: create a payment once per idempotency key, and read the caller's payments. */
@RestController
@RequestMapping("/payments")
class PaymentController {

    private final PaymentService payments;

    PaymentController(PaymentService payments) {
        this.payments = payments;
    }

    /**
     * Creates a payment. {@link Idempotent} makes the starter's filter require an {@code Idempotency-Key} header,
     * run this method at most once per (user, key), and replay the stored 201 to every retry.
     */
    @PostMapping
    @Idempotent
    ResponseEntity<PaymentResponse> create(@Valid @RequestBody CreatePaymentRequest body, Principal principal,
            HttpServletRequest request) {
        // The key the filter claimed, in the scope it resolved for this user; the gateway's key derives from it.
        IdempotencyKey key = (IdempotencyKey) request.getAttribute(IdempotencyFilter.KEY_ATTRIBUTE);
        if (key == null) {
            // Only when the filter did not protect this request (idempotency.enabled=false): never pay unprotected.
            throw new IllegalStateException("POST /payments ran without a claimed idempotency key; is the starter enabled?");
        }
        Payment payment = payments.create(principal.getName(), key, body.amount(), body.currency(), body.description());
        return ResponseEntity.status(HttpStatus.CREATED)
                .location(URI.create("/payments/" + payment.id()))
                .body(PaymentResponse.of(payment));
    }

    @GetMapping
    List<PaymentResponse> list(Principal principal) {
        return payments.list(principal.getName()).stream().map(PaymentResponse::of).toList();
    }

    /** One payment; another user's payment is answered like a missing one, with 404. */
    @GetMapping("/{id}")
    PaymentResponse get(@PathVariable String id, Principal principal) {
        return payments.find(principal.getName(), id)
                .map(PaymentResponse::of)
                .orElseThrow(() -> new ResponseStatusException(HttpStatus.NOT_FOUND, "No payment " + id));
    }
}
