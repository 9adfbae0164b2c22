package dev.idempotency.examples.payments.payment;

import dev.idempotency.core.IdempotencyContext;
import dev.idempotency.spring.Idempotent;
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
     * run this method at most once per (user, key), and replay the stored 201 to every retry. The
     * {@link IdempotencyContext} is that claim: its key, its derived keys and the recovery point a crashed run left.
     */
    @PostMapping
    @Idempotent
    ResponseEntity<PaymentResponse> create(@Valid @RequestBody CreatePaymentRequest body, Principal principal,
            IdempotencyContext idempotency) {
        Payment payment = payments.create(idempotency, principal.getName(), body.amount(), body.currency(), body.description());
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
