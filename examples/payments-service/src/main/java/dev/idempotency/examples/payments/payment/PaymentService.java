package dev.idempotency.examples.payments.payment;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.examples.payments.gateway.FakePaymentGateway;
import dev.idempotency.examples.payments.gateway.GatewayCharge;
import dev.idempotency.examples.payments.gateway.GatewayUnavailableException;
import java.util.List;
import java.util.Optional;
import org.springframework.stereotype.Service;

/**
 * Creates payments so that each (user, idempotency key) pays exactly once, even when the process dies half-way.
 *
 * <p>The idempotency filter already makes sure that only one request per key runs at a time and that retries get the
 * stored response. What it cannot do alone is undo a crash: if the process dies after the gateway charged but
 * before the response was stored, the claim's lease expires and the next retry runs this method again. So every
 * step below is safe to repeat, and a re-run finishes the first run's work instead of doing it twice:
 * <ol>
 *   <li>Insert the payment as {@code PENDING}, or find the row an earlier run inserted. The row's natural key
 *       (owner, idempotency key) is UNIQUE, and the insert is {@code ON CONFLICT DO NOTHING}, so there is never a
 *       second row, even if two runs overlap (a run whose lease expired while it was stalled, and its successor).
 *       A row that is already {@code SUCCEEDED} is returned as it is: the crash came after step 3.</li>
 *   <li>Charge the gateway with a key derived from the request's idempotency key,
 *       {@code IdempotencyKey.of(scope, key).derive("charge")}. It is the same on every run, and the gateway keeps
 *       one charge per key, so a re-run gets the first run's charge back instead of a second charge.</li>
 *   <li>Mark the payment {@code SUCCEEDED} with the charge id. The update only moves {@code PENDING} rows, so
 *       repeating it changes nothing.</li>
 * </ol>
 * Each step is its own short statement; no transaction is held open across the call to the gateway.
 *
 * <p>When the gateway refuses the charge (it recorded nothing), the pending row is withdrawn and the error becomes a
 * 502. The starter does not store 5xx responses by default, it releases the key, so the client may retry with the
 * same key and starts afresh.
 */
@Service
public class PaymentService {

    /** The name of the gateway step, mixed into the derived downstream key. */
    static final String CHARGE_STEP = "charge";

    private final PaymentRepository payments;
    private final FakePaymentGateway gateway;

    public PaymentService(PaymentRepository payments, FakePaymentGateway gateway) {
        this.payments = payments;
        this.gateway = gateway;
    }

    /**
     * Creates the payment for {@code key}, or finishes and returns the one an earlier run with the same key started.
     *
     * @param owner the authenticated user
     * @param key the request's idempotency key, in the scope the starter resolved for this user
     * @throws GatewayUnavailableException when the gateway refused the charge; nothing was charged
     */
    public Payment create(String owner, IdempotencyKey key, long amount, String currency, String description) {
        String chargeKey = key.derive(CHARGE_STEP);
        Payment payment = payments.insertOrFind(owner, key.key(), chargeKey, amount, currency, description);
        if (payment.status() == PaymentStatus.SUCCEEDED) {
            return payment;
        }
        GatewayCharge charge;
        try {
            // The payment's own values, not the request's: when a re-run finds an earlier run's pending row, that
            // run may already have charged the gateway with them.
            charge = gateway.charge(payment.chargeKey(), payment.id(), payment.amount(), payment.currency(),
                    payment.description());
        } catch (GatewayUnavailableException e) {
            payments.deletePending(payment.id());
            throw e;
        }
        payments.markSucceeded(payment.id(), charge.id());
        return payments.findByOwnerAndId(owner, payment.id()).orElseThrow();
    }

    public Optional<Payment> find(String owner, String id) {
        return payments.findByOwnerAndId(owner, id);
    }

    public List<Payment> list(String owner) {
        return payments.findByOwner(owner);
    }
}
